package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// An encrypted store keeps no Secret value in plain on disk, and opens only
// with its key.
func TestEncryptedStoreKeepsSecretsUnreadableOnDisk(t *testing.T) {
	const canary = "canary-at-rest-51b2"
	key := bytes.Repeat([]byte{7}, 32)
	dir := t.TempDir()
	st, err := OpenWith(dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"}, Data: map[string][]byte{"pw": []byte(canary)}}
	if err := st.Update(func(tx *Tx) error { return tx.Create(sec) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	plainOnDisk := func() bool {
		found := false
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				b, _ := os.ReadFile(p)
				// Secret data is base64 in the stored JSON; look for both forms.
				if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte("Y2FuYXJ5LWF0LXJlc3QtNTFiMg")) {
					found = true
				}
			}
			return nil
		})
		return found
	}
	if plainOnDisk() {
		t.Fatal("the Secret value is readable in the store's files")
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("an encrypted store opened without its key")
	}
	st, err = OpenWith(dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o, err := st.Get(objects.Key{Kind: "Secret", Namespace: "default", Name: "db"})
	if err != nil {
		t.Fatal(err)
	}
	if string(o.(*corev1.Secret).Data["pw"]) != canary {
		t.Fatalf("read back %q", o.(*corev1.Secret).Data["pw"])
	}
}

// The control: the same write without a key is readable on disk, so the
// test above can fail.
func TestUnencryptedStoreShowsTheValue(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"}, StringData: map[string]string{"pw": "plain-canary-value"}}
	st.Update(func(tx *Tx) error { return tx.Create(sec) })
	st.Close()
	found := false
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			found = found || bytes.Contains(b, []byte("plain-canary-value"))
		}
		return nil
	})
	if !found {
		t.Fatal("control failed: the plain value is not found on disk, so the encrypted test proves nothing")
	}
}
