// Package membertest starts real embedded etcd members (package
// etcdmember) for tests: a cluster formed exactly as servers form it
// (--cluster-init, then each joins as a learner and is promoted), on
// random loopback ports, data in t.TempDir().
package membertest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Cluster is a test cluster; its members stop at the test's end.
type Cluster struct {
	t       testing.TB
	CA      *pki.CA
	Opts    []etcdmember.Options // per server, as started last
	Members []*etcdmember.Member // nil while stopped
}

// FreePort is a loopback port nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// NewData makes a controller data directory holding the cluster CA, as
// `--join` leaves it (the CA is the cluster's, shared by every server).
func NewData(t testing.TB, ca *pki.CA) string {
	t.Helper()
	data := t.TempDir()
	dir := credentials.PKIDir(data)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, err := pki.EncodeKey(ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{pki.CACertFile: ca.CertPEM, pki.CAKeyFile: key} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// Options of a new server named name, on fresh ports.
func Options(t testing.TB, ca *pki.CA, name string) etcdmember.Options {
	return etcdmember.Options{Name: name, Data: NewData(t, ca), CA: ca, Advertise: "127.0.0.1",
		PeerPort: FreePort(t), ClientPort: FreePort(t), ReadyTimeout: 2 * time.Minute}
}

// Start forms a cluster of n members (named s1…sn).
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, CA: ca}
	t.Cleanup(c.StopAll)
	o := Options(t, ca, "s1")
	o.Mode = etcdmember.ModeInit
	c.add(o, mustStart(t, o))
	for i := 2; i <= n; i++ {
		c.Join(fmt.Sprintf("s%d", i))
	}
	return c
}

func (c *Cluster) add(o etcdmember.Options, m *etcdmember.Member) {
	c.Opts = append(c.Opts, o)
	c.Members = append(c.Members, m)
}

func mustStart(t testing.TB, o etcdmember.Options) *etcdmember.Member {
	t.Helper()
	m, err := etcdmember.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start %s: %v", o.Name, err)
	}
	return m
}

// Join adds a server as --join does: a learner added through a running
// member, started with the answer, then promoted.
func (c *Cluster) Join(name string) int {
	c.t.Helper()
	cli := c.Client()
	defer cli.Close()
	o := Options(c.t, c.CA, name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	info, err := etcdmember.AddLearner(ctx, cli, name, o.PeerURL())
	if err != nil {
		c.t.Fatalf("add %s: %v", name, err)
	}
	o.Mode, o.InitialCluster = etcdmember.ModeJoin, info.InitialCluster
	c.add(o, mustStart(c.t, o))
	err = etcdmember.PromoteWhenReady(ctx, func(ctx context.Context) error { return etcdmember.Promote(ctx, cli, info.MemberID) }, 200*time.Millisecond)
	if err != nil {
		c.t.Fatalf("promote %s: %v", name, err)
	}
	return len(c.Members) - 1
}

// Endpoints are the client URLs of the running members.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.Members {
		if m != nil {
			out = append(out, m.ClientURL())
		}
	}
	return out
}

// Client is a client of every running member (the caller closes it).
func (c *Cluster) Client() *clientv3.Client {
	c.t.Helper()
	return c.ClientOf(c.Endpoints()...)
}

// ClientOf is a client of the given endpoints.
func (c *Cluster) ClientOf(endpoints ...string) *clientv3.Client {
	c.t.Helper()
	for i, m := range c.Members {
		if m != nil {
			cli, err := etcdmember.NewClient(endpoints, credentials.PKIDir(c.Opts[i].Data), c.CA)
			if err != nil {
				c.t.Fatal(err)
			}
			return cli
		}
	}
	c.t.Fatal("no member runs")
	return nil
}

// Stop stops member i.
func (c *Cluster) Stop(i int) {
	if c.Members[i] != nil {
		c.Members[i].Close()
		c.Members[i] = nil
	}
}

// Restart starts stopped member i again from its data (it waits for a
// quorum: restart several at once from goroutines when one is not enough).
func (c *Cluster) Restart(i int) error {
	o := c.Opts[i]
	o.Mode = etcdmember.ModeRestart
	m, err := etcdmember.Start(context.Background(), o)
	if err != nil {
		return err
	}
	c.Members[i] = m
	return nil
}

// StopAll stops every running member.
func (c *Cluster) StopAll() {
	t0 := time.Now()
	for i := range c.Members {
		c.Stop(i)
	}
	c.t.Logf("members stopped in %s", time.Since(t0))
}

// Garbage writes n random 64 KiB values over keys (n/keys revisions of
// each) and compacts etcd's history physically: the member's file keeps
// its size with most of it free, what a defragmentation reclaims.
func Garbage(ctx context.Context, t testing.TB, cli *clientv3.Client, n, keys int) {
	t.Helper()
	value := make([]byte, 64<<10) // random: bbolt stores it as is
	var rev int64
	for i := range n {
		rand.Read(value)
		resp, err := cli.Put(ctx, fmt.Sprintf("/defrag/k%d", i%keys), string(value))
		if err != nil {
			t.Fatal(err)
		}
		rev = resp.Header.Revision
	}
	if _, err := cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
}
