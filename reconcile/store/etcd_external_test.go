package store

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// debianEtcd is Debian's etcd-server (3.4): the engine must work with an
// etcd the user runs, not only with the embedded 3.6.
const debianEtcd = "/usr/bin/etcd"

// startExternalEtcd runs /usr/bin/etcd on loopback ports until the end of
// the test and returns a client of it.
func startExternalEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	if _, err := os.Stat(debianEtcd); err != nil {
		if os.Getuid() != 0 {
			t.Skipf("%s is not installed and installing it needs root (apt-get install etcd-server, or make setup-test)", debianEtcd)
		}
		t.Fatalf("%s is not installed: make setup-test (apt-get install etcd-server)", debianEtcd)
	}
	port := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	client, peer := "http://"+port(), "http://"+port()
	cmd := exec.Command(debianEtcd, "--name", "ext", "--data-dir", t.TempDir(),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "ext="+peer, "--log-level", "error", "--logger", "zap")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{client}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	testkit.Eventually(t, time.Minute, debianEtcd+" serving", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := cli.Put(ctx, "ping", "")
		return err
	})
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
