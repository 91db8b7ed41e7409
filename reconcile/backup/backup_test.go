package backup_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/backup"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestSaveAndRestore: a snapshot taken over the API of a store on disk,
// restored into a directory that held another store (moved aside, not
// deleted), gives back every object and side record; restoring into a
// store in use is refused and touches nothing.
func TestSaveAndRestore(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	o := store.Options{EncryptionKey: key}
	dir := filepath.Join(t.TempDir(), "store")
	st, err := store.OpenWith(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx *store.Tx) error {
		for _, name := range []string{"a", "b", "c"} {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string][]byte{"k": []byte("v-" + name)}}
			objects.SetTypeMeta(s, "Secret")
			if err := tx.Create(s); err != nil {
				return err
			}
		}
		return tx.PutMeta("test/side", map[string]string{"x": "y"})
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	defer hs.Close()
	file := filepath.Join(t.TempDir(), "snap")
	rv, size, err := backup.Save(context.Background(), apiclient.New(hs.URL, ""), file)
	if err != nil || rv != st.ResourceVersion() || size == 0 {
		t.Fatalf("Save = rv %d (store at %d), %d bytes, %v", rv, st.ResourceVersion(), size, err)
	}

	// The store is open: restore refuses, and the store stays where it is.
	if _, err := backup.RestoreBadger(file, dir, o, time.Now()); err == nil || !strings.Contains(err.Error(), "stop the controller") {
		t.Fatalf("restore into a store in use: %v", err)
	}
	if _, err := st.Get(objects.Key{Kind: "Secret", Namespace: "default", Name: "c"}); err != nil {
		t.Fatalf("the store in use was disturbed by a refused restore: %v", err)
	}
	st.Close()

	moved, err := backup.RestoreBadger(file, dir, o, time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if moved != dir+".before-restore-20261207T170000Z" {
		t.Fatalf("old store moved to %q", moved)
	}
	if _, err := os.Stat(moved); err != nil {
		t.Fatalf("the old store is gone: %v", err)
	}
	got, err := store.OpenWith(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	items, _, err := got.List("Secret", "default")
	if err != nil || len(items) != 3 {
		t.Fatalf("restored %d Secrets (want the 3 of the snapshot, c included), %v", len(items), err)
	}
	if v := string(items[2].(*corev1.Secret).Data["k"]); v != "v-c" {
		t.Fatalf("restored Secret c holds %q", v)
	}
	var side map[string]string
	if ok, err := got.GetMeta("test/side", &side); !ok || err != nil || side["x"] != "y" {
		t.Fatalf("side record: %v %v %v", side, ok, err)
	}
	if got.ResourceVersion() < rv {
		t.Fatalf("restored resourceVersion %d is older than the snapshot's %d", got.ResourceVersion(), rv)
	}
}

// TestSaveLeavesNoFileOnFailure: a snapshot that fails (no server) leaves
// no file, and an existing file as it was.
func TestSaveLeavesNoFileOnFailure(t *testing.T) {
	file := filepath.Join(t.TempDir(), "snap")
	if err := os.WriteFile(file, []byte("older snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(nil)
	hs.Close()
	if _, _, err := backup.Save(context.Background(), apiclient.New(hs.URL, ""), file); err == nil {
		t.Fatal("Save without a server succeeded")
	}
	if b, _ := os.ReadFile(file); string(b) != "older snapshot" {
		t.Fatalf("a failed Save changed the file: %q", b)
	}
}
