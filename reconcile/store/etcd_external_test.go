package store

import (
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
)

// startExternalEtcd runs Debian's etcd 3.4 (etcdtest.StartExternal).
func startExternalEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{etcdtest.StartExternal(t)}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// A short part of the suite on Debian's etcd 3.4: two views agree, a
// commit larger than one request stays whole, checkpoints, fencing's
// compare.
func TestEtcdEngineOnDebianEtcd34(t *testing.T) {
	cli := startExternalEtcd(t)
	open := func(eo EtcdOptions) *Store {
		eo.Prefix = "/ext/"
		st, err := OpenEtcd("", cli, Options{}, eo)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	eo := EtcdOptions{ChunkBytes: 64 << 10, CheckpointEvery: 3}
	a, b := open(eo), open(eo)
	if err := a.Update(generationCommit); err != nil { // about 30 parts
		t.Fatal(err)
	}
	for range 4 {
		if err := b.Update(generationCommit); err != nil {
			t.Fatal(err)
		}
	}
	caughtUp(t, b, a)
	if da, db := dump(t, a), dump(t, b); da != db {
		t.Fatalf("views differ on etcd 3.4")
	}
	if g := currentGen(t, open(eo)); g != 4 {
		t.Fatalf("a new view (from a checkpoint) at generation %d, want 4", g)
	}
	fenced := a.Fenced("/ext/no-such-election-key", 12345)
	if err := fenced.Update(generationCommit); !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced write: %v", err)
	}
}
