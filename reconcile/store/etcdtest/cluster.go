package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Member is one running etcd member.
type Member struct {
	Name     string
	Endpoint string // client URL, http://127.0.0.1:PORT
	e        *embed.Etcd
	cfg      *embed.Config
	stopped  bool
}

// Restart starts a stopped member again on its data and ports, waiting
// until it serves.
func (m *Member) Restart() error {
	if !m.stopped {
		return nil
	}
	cfg := *m.cfg
	cfg.ClusterState = embed.ClusterStateFlagExisting
	e, err := embed.StartEtcd(&cfg)
	if err != nil {
		return fmt.Errorf("restart etcd member %s: %w", m.Name, err)
	}
	m.e, m.stopped = e, false
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("etcd member %s did not become ready within 60 s after its restart", m.Name)
	}
}

// Stop stops the member (idempotent); the others keep running.
func (m *Member) Stop() {
	if m.stopped {
		return
	}
	m.stopped = true
	m.e.Close()
}

// Cluster is n members forming one etcd cluster.
type Cluster struct {
	Members []*Member
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, m.Endpoint)
	}
	return out
}

// Client returns a client of every member, closed at the end of the test.
func (c *Cluster) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("etcd client of %v: %v", c.Endpoints(), err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// StartCluster starts n members on loopback ports and waits until they
// serve; they stop at the end of the test.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c, err := Start(t.TempDir(), n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Stop stops every member.
func (c *Cluster) Stop() {
	for _, m := range c.Members {
		m.Stop()
	}
}

// Start starts n members with their data in dir, for a cluster shared by
// several tests (TestMain); the caller stops it.
func Start(dir string, n int) (*Cluster, error) {
	peers := make([]url.URL, n)
	clients := make([]url.URL, n)
	var initial []string
	for i := range n {
		var err error
		if peers[i], err = freeURL(); err != nil {
			return nil, err
		}
		if clients[i], err = freeURL(); err != nil {
			return nil, err
		}
		initial = append(initial, fmt.Sprintf("m%d=%s", i, peers[i].String()))
	}
	c := &Cluster{}
	var started []*embed.Etcd
	for i := range n {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = fmt.Sprintf("%s/m%d", dir, i)
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peers[i]}, []url.URL{peers[i]}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clients[i]}, []url.URL{clients[i]}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "etcdtest"
		cfg.LogLevel = "fatal" // its shutdown reports closed listeners as errors
		cfg.ListenMetricsUrls = nil
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			for _, s := range started {
				s.Close()
			}
			return nil, fmt.Errorf("start etcd member %d in %s: %w", i, cfg.Dir, err)
		}
		started = append(started, e)
		c.Members = append(c.Members, &Member{Name: cfg.Name, Endpoint: clients[i].String(), e: e, cfg: cfg})
	}
	for _, m := range c.Members {
		select {
		case <-m.e.Server.ReadyNotify():
		case <-time.After(60 * time.Second):
			c.Stop()
			return nil, fmt.Errorf("etcd member %s did not become ready within 60 s", m.Name)
		}
	}
	return c, nil
}

// freeURL is http://127.0.0.1:PORT for a port free right now.
func freeURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, fmt.Errorf("pick a loopback port: %w", err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}, nil
}
