package secrets

import (
	"strings"
	"testing"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func secretOf(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "s"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestCompareSaysChangedOrUnchangedPerKey(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	enc := func(p string, to *age.X25519Identity) string {
		v, err := EncryptValue([]byte(p), to.Recipient().String())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	storedPlain := secretOf(map[string]string{"a": "one", "b": "two", "gone": "x"})
	sealedManifest := secretOf(map[string]string{"a": enc("one", id), "b": enc("two", id)})
	storedSealed := secretOf(map[string]string{"a": "one", "b": "two"})
	Seal(storedSealed, sealedManifest)

	cases := []struct {
		name    string
		desired *corev1.Secret
		stored  *corev1.Secret
		want    map[string]KeyState
		errs    int
	}{
		{"plain", secretOf(map[string]string{"a": "one", "b": "TWO", "new": "n"}), storedPlain,
			map[string]KeyState{"a": KeyUnchanged, "b": KeyChanged, "new": KeyAdded, "gone": KeyRemoved}, 0},
		{"same ciphertexts: by the sealed hash", sealedManifest, storedSealed,
			map[string]KeyState{"a": KeyUnchanged, "b": KeyUnchanged}, 0},
		{"re-encrypted: decrypted and compared", secretOf(map[string]string{"a": enc("one", id), "b": enc("2", id)}), storedSealed,
			map[string]KeyState{"a": KeyUnchanged, "b": KeyChanged}, 0},
		{"encrypted to another key", secretOf(map[string]string{"a": enc("one", other), "b": "two"}), storedSealed,
			map[string]KeyState{"a": KeyChanged, "b": KeyUnchanged}, 1},
		{"not stored", secretOf(map[string]string{"a": "one"}), nil, map[string]KeyState{"a": KeyAdded}, 0},
	}
	for _, c := range cases {
		got := Compare(c.desired, c.stored, id)
		if len(got.Keys) != len(c.want) {
			t.Errorf("%s: keys %v, want %v", c.name, got.Keys, c.want)
		}
		for k, w := range c.want {
			if got.Keys[k] != w {
				t.Errorf("%s: key %s %q, want %q", c.name, k, got.Keys[k], w)
			}
		}
		if len(got.Errors) != c.errs {
			t.Errorf("%s: errors %v, want %d", c.name, got.Errors, c.errs)
		}
		for _, e := range got.Errors {
			if strings.Contains(e, "one") {
				t.Errorf("%s: error quotes a value: %s", c.name, e)
			}
		}
	}
}

// FuzzCompare: whatever the controller is sent, Compare answers every key
// and its errors never carry a value.
func FuzzCompare(f *testing.F) {
	id, _ := age.GenerateX25519Identity()
	enc, _ := EncryptValue([]byte("fuzz-canary"), id.Recipient().String())
	f.Add("k", "fuzz-canary", "fuzz-canary")
	f.Add("k", enc, "fuzz-canary")
	f.Add("k", "age:not base64 fuzz-canary", "x")
	f.Add("k", "age:"+enc[4:20], "")
	f.Fuzz(func(t *testing.T, key, want, have string) {
		d := secretOf(map[string]string{key: want})
		s := secretOf(map[string]string{key: have})
		c := Compare(d, s, id)
		if c.Keys[key] != KeyChanged && c.Keys[key] != KeyUnchanged {
			t.Fatalf("key %q: %q", key, c.Keys[key])
		}
		for _, e := range c.Errors {
			if len(want) > 8 && strings.Contains(e, want[4:]) {
				t.Fatalf("error %q carries the value", e)
			}
		}
	})
}
