package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func fillForSnapshot(t *testing.T, st *Store) {
	t.Helper()
	create(t, st, configMap("default", "a", map[string]string{"k": "v"}), deployment("prod", "web", 3))
	err := st.Update(func(tx *Tx) error {
		return tx.PutMeta("source/main", map[string]string{"lastAppliedCommit": "abc123"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Snapshot, restore into a new Badger directory: the same objects, side
// records and resourceVersion.
func TestSnapshotRestoreBadger(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		fillForSnapshot(t, st)
		var buf bytes.Buffer
		rv, err := st.Snapshot(&buf)
		if err != nil || rv != st.ResourceVersion() {
			t.Fatalf("snapshot: rv %d (store %d), %v", rv, st.ResourceVersion(), err)
		}
		dir := t.TempDir() + "/restored"
		if err := Restore(bytes.NewReader(buf.Bytes()), dir, Options{}); err != nil {
			t.Fatal(err)
		}
		got, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Close()
		if a, b := dump(t, st), dump(t, got); a != b {
			t.Fatalf("restored store differs:\nwas: %s\nnow: %s", a, b)
		}
		if err := Restore(bytes.NewReader(buf.Bytes()), dir, Options{}); err == nil {
			t.Error("restore into a non-empty directory succeeded")
		}
	})
}

func TestRestoreRefusesDamagedSnapshots(t *testing.T) {
	st := backends[1].open(t)
	fillForSnapshot(t, st)
	var buf bytes.Buffer
	if _, err := st.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"truncated": buf.Bytes()[:buf.Len()-10],
		"flipped":   append(append([]byte{}, buf.Bytes()[:40]...), append([]byte{buf.Bytes()[40] ^ 1}, buf.Bytes()[41:]...)...),
		"not one":   []byte("hello"),
	} {
		dir := t.TempDir() + "/r"
		if err := Restore(bytes.NewReader(b), dir, Options{}); !errors.Is(err, errBadSnapshot) {
			t.Errorf("%s: %v, want a damaged-snapshot error", name, err)
		}
		if err := RestoreEtcd(bytes.NewReader(b), etcdClient(t), EtcdOptions{Prefix: newPrefix(t)}); !errors.Is(err, errBadSnapshot) {
			t.Errorf("%s on etcd: %v", name, err)
		}
	}
}

// RestoreEtcd: every running view reloads the snapshot (its watchers'
// channels close) and new views start from it.
func TestSnapshotRestoreEtcd(t *testing.T) {
	prefix := newPrefix(t)
	a := openEtcdView(t, "", prefix)
	fillForSnapshot(t, a)
	want := dump(t, a)
	var buf bytes.Buffer
	if _, err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	create(t, a, configMap("default", "after-the-snapshot", nil))
	ch, err := a.Watch(context.Background(), a.ResourceVersion())
	if err != nil {
		t.Fatal(err)
	}
	if err := RestoreEtcd(&buf, etcdClient(t), EtcdOptions{Prefix: prefix}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, time.Minute, "the running view reloaded", func() error {
		if got := dump(t, a); got != want {
			return errors.New(got)
		}
		return nil
	})
	if _, open := <-ch; open {
		t.Error("a watcher of the old state still open")
	}
	if got := dump(t, openEtcdView(t, "", prefix)); got != want {
		t.Fatalf("new view after the restore: %s\nwant %s", got, want)
	}
	create(t, a, configMap("default", "after-the-restore", nil)) // writes continue
}
