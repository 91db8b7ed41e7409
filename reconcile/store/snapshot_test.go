package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
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

// bumped is dump's text with the store's resourceVersion rv replaced by
// to.
func bumped(dump string, rv, to uint64) string {
	return strings.Replace(dump, fmt.Sprintf(`"rv": %d`, rv), fmt.Sprintf(`"rv": %d`, to), 1)
}

// wantGoneFrom checks that st's resourceVersion is past every one before
// the restore (last) and a watch from last is ErrGone: a client of before
// lists again instead of waiting for events after last.
func wantGoneFrom(t *testing.T, st *Store, last uint64) {
	t.Helper()
	if rv := st.ResourceVersion(); rv <= last {
		t.Errorf("resourceVersion %d after the restore, %d before: it went backwards", rv, last)
	}
	if _, err := st.Watch(context.Background(), last); !errors.Is(err, ErrGone) {
		t.Errorf("watch from the resourceVersion of before the restore (%d): %v, want ErrGone", last, err)
	}
}

// Snapshot, restore into a new Badger directory: the same objects and side
// records, the resourceVersion bumped past every one of before.
func TestSnapshotRestoreBadger(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		fillForSnapshot(t, st)
		want := dump(t, st)
		var buf bytes.Buffer
		rv, err := st.Snapshot(&buf)
		if err != nil || rv != st.ResourceVersion() {
			t.Fatalf("snapshot: rv %d (store %d), %v", rv, st.ResourceVersion(), err)
		}
		want = bumped(want, rv, rv+RestoreRVBump) // no store to restore over: the snapshot's
		create(t, st, configMap("default", "after-the-snapshot", nil))
		dir := t.TempDir() + "/restored"
		if err := Restore(bytes.NewReader(buf.Bytes()), dir, Options{}); err != nil {
			t.Fatal(err)
		}
		got, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Close()
		if now := dump(t, got); now != want {
			t.Fatalf("restored store differs:\nwant: %s\nnow: %s", want, now)
		}
		wantGoneFrom(t, got, st.ResourceVersion())
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
		if _, err := RestoreEtcd(bytes.NewReader(b), etcdClient(t), EtcdOptions{Prefix: newPrefix(t)}); !errors.Is(err, errBadSnapshot) {
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
	rv, err := a.Snapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	create(t, a, configMap("default", "after-the-snapshot", nil))
	last := a.ResourceVersion()
	want = bumped(want, rv, last+RestoreRVBump) // past the store's, which is past the snapshot's
	ch, err := a.Watch(context.Background(), last)
	if err != nil {
		t.Fatal(err)
	}
	restored, err := RestoreEtcd(&buf, etcdClient(t), EtcdOptions{Prefix: prefix})
	if err != nil || restored != last+RestoreRVBump {
		t.Fatalf("RestoreEtcd = %d, %v; want %d", restored, err, last+RestoreRVBump)
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
	wantGoneFrom(t, a, last)
	b := openEtcdView(t, "", prefix)
	if got := dump(t, b); got != want {
		t.Fatalf("new view after the restore: %s\nwant %s", got, want)
	}
	wantGoneFrom(t, b, last)
	create(t, a, configMap("default", "after-the-restore", nil)) // writes continue
	if rv := a.ResourceVersion(); rv <= last+1 {
		t.Errorf("a write after the restore got resourceVersion %d, not past %d", rv, last)
	}
}

// RestoreEtcd with no server running, twice with one snapshot: the second
// moves past the first (the store's current resourceVersion is read from
// etcd, not only the snapshot's).
func TestRestoreEtcdTwiceMovesForward(t *testing.T) {
	src := backends[1].open(t)
	fillForSnapshot(t, src)
	var buf bytes.Buffer
	rv, err := src.Snapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	prefix := newPrefix(t)
	first, err := RestoreEtcd(bytes.NewReader(buf.Bytes()), etcdClient(t), EtcdOptions{Prefix: prefix})
	if err != nil || first != rv+RestoreRVBump {
		t.Fatalf("first restore: %d, %v; want %d", first, err, rv+RestoreRVBump)
	}
	second, err := RestoreEtcd(bytes.NewReader(buf.Bytes()), etcdClient(t), EtcdOptions{Prefix: prefix})
	if err != nil || second != first+RestoreRVBump {
		t.Fatalf("second restore: %d, %v; want %d", second, err, first+RestoreRVBump)
	}
	if got := openEtcdView(t, "", prefix).ResourceVersion(); got != second {
		t.Fatalf("a view opened after both restores is at %d, want %d", got, second)
	}
}

// FuzzRebaseSnapshot: a snapshot that reads whole, rebased to another
// resourceVersion (what a restore writes), reads whole again with that
// resourceVersion and the same records.
func FuzzRebaseSnapshot(f *testing.F) {
	var buf bytes.Buffer
	st, _ := OpenInMemory()
	st.Update(func(tx *Tx) error { return tx.Create(configMap("default", "a", nil)) })
	st.Snapshot(&buf)
	st.Close()
	f.Add(buf.Bytes(), uint64(RestoreRVBump))
	f.Add([]byte(snapshotMagic+"\x05\x00"), uint64(1<<63))
	f.Fuzz(func(t *testing.T, b []byte, to uint64) {
		snap, rv, err := readSnapshot(bytes.NewReader(b))
		if err != nil {
			return
		}
		out := rebaseSnapshot(snap, rv, to)
		again, got, err := readSnapshot(bytes.NewReader(out))
		if err != nil || got != to {
			t.Fatalf("rebased from %d to %d: read back %d, %v", rv, to, got, err)
		}
		records := func(s []byte, rv uint64) []byte {
			var nb [binary.MaxVarintLen64]byte
			return s[len(snapshotMagic)+binary.PutUvarint(nb[:], rv) : len(s)-sha256.Size]
		}
		if !bytes.Equal(records(again, to), records(snap, rv)) {
			t.Fatal("rebasing changed the records")
		}
	})
}
