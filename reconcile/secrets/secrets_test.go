package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"
)

const canary = "canary-Zq81-value"

func TestIdentityIsCreatedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("a second start generated a new key: Secrets encrypted to the first would no longer decrypt")
	}
	fi, err := os.Stat(filepath.Join(dir, IdentityFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	rec, _ := os.ReadFile(filepath.Join(dir, RecipientFile))
	if strings.TrimSpace(string(rec)) != a.Recipient().String() {
		t.Fatalf("recipient file %q, want %q", rec, a.Recipient())
	}
	os.WriteFile(filepath.Join(dir, IdentityFile), []byte("garbage"), 0o600)
	if _, err := LoadOrCreateIdentity(dir); err == nil || strings.Contains(err.Error(), "garbage") {
		t.Fatalf("a damaged key: %v", err)
	}
}

func TestDecrypt(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	enc, err := EncryptValue([]byte(canary), id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	encOther, _ := EncryptValue([]byte(canary), other.Recipient().String())
	cases := []struct {
		name    string
		data    map[string][]byte
		want    map[string]string
		wantErr string
	}{
		{"encrypted", map[string][]byte{"pw": []byte(enc)}, map[string]string{"pw": canary}, ""},
		{"plain stays", map[string][]byte{"user": []byte("admin"), "pw": []byte(enc)}, map[string]string{"user": "admin", "pw": canary}, ""},
		{"other key", map[string][]byte{"pw": []byte(encOther)}, nil, "data.pw: encrypted to another key"},
		{"not base64", map[string][]byte{"pw": []byte("age:%%%")}, nil, "data.pw: the text after"},
		{"truncated", map[string][]byte{"pw": []byte(enc[:len(enc)-12])}, nil, "data.pw: cannot decrypt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &corev1.Secret{Data: tc.data}
			before := string(in.Data["pw"])
			out, err := Decrypt(in, id)
			if string(in.Data["pw"]) != before {
				t.Fatal("Decrypt changed its input (shared with the validator's cache)")
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), canary) {
					t.Fatal("the error quotes the value")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if string(out.Data[k]) != v {
					t.Errorf("%s = %q, want %q", k, out.Data[k], v)
				}
			}
		})
	}
}

func TestEncryptRefusesABadRecipient(t *testing.T) {
	if _, err := EncryptValue([]byte("x")); err == nil {
		t.Fatal("no recipient accepted")
	}
	if _, err := EncryptValue([]byte("x"), "age1nope"); err == nil {
		t.Fatal("bad recipient accepted")
	}
}

func TestMask(t *testing.T) {
	s := &corev1.Secret{Data: map[string][]byte{"pw": []byte(canary)}, StringData: map[string]string{"x": canary}}
	m := Mask(s).(*corev1.Secret)
	if strings.Contains(string(m.Data["pw"])+m.StringData["x"], canary) {
		t.Fatal("masked Secret still carries the value")
	}
	if string(s.Data["pw"]) != canary {
		t.Fatal("Mask changed the stored object")
	}
	cm := &corev1.ConfigMap{Data: map[string]string{"a": "b"}}
	if Mask(cm) != cm {
		t.Fatal("Mask touched a ConfigMap")
	}
}

func TestForLivePlanKeepsNoDesiredValue(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	enc, _ := EncryptValue([]byte(canary), id.Recipient().String())
	manifest := &corev1.Secret{Data: map[string][]byte{"pw": []byte(enc), "plain": []byte(canary + "2"), "same": []byte("x")}}
	plain, err := Decrypt(manifest, id)
	if err != nil {
		t.Fatal(err)
	}
	Seal(plain, manifest)
	plain.Data["same"] = []byte("x")
	stored := Mask(plain).(*corev1.Secret)
	cmp := Comparison{Keys: map[string]KeyState{"pw": KeyUnchanged, "plain": KeyChanged, "same": KeyUnchanged}}
	got := ForLivePlan(manifest, stored, cmp)
	for k, v := range got.Data {
		if strings.Contains(string(v), canary) || strings.HasPrefix(string(v), Prefix) {
			t.Errorf("key %s keeps a desired value: %q", k, v)
		}
	}
	if string(got.Data["pw"]) != string(stored.Data["pw"]) || string(got.Data["plain"]) == string(stored.Data["plain"]) {
		t.Errorf("unchanged keys must equal the stored ones, changed ones differ: %q", got.Data)
	}
	if got.Annotations[SealedAnnotation] != stored.Annotations[SealedAnnotation] {
		t.Error("the sealed annotation differs for the same ciphertexts")
	}
	if string(manifest.Data["pw"]) != enc || manifest.Annotations != nil {
		t.Error("ForLivePlan changed the manifest")
	}
}
