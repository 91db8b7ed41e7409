package discovery

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// serve starts s on loopback UDP and TCP sockets and returns the address.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	// DNS wants UDP and TCP on one port: a free UDP port may be taken for
	// TCP by another test process, so try a few.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatalf("no port free for both UDP and TCP: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, pc, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return pc.LocalAddr().String()
}

func query(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	req := new(dns.Msg)
	req.SetQuestion(name, qtype)
	resp, _, err := (&dns.Client{Net: network}).Exchange(req, addr)
	if err != nil {
		t.Fatalf("%s query %s: %v", network, name, err)
	}
	return resp
}

// TestServerAnswersAndForwards runs the server on real sockets: cluster
// names come from the index over UDP and TCP, other names go to the
// upstream (a fake resolver on loopback), and a dead upstream is SERVFAIL.
func TestServerAnswersAndForwards(t *testing.T) {
	var mu sync.Mutex
	var forwarded []string
	up := &dns.Server{Net: "udp", Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		forwarded = append(forwarded, r.Question[0].Name)
		mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 9)}}
		w.WriteMsg(m)
	})}
	upPC, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up.PacketConn = upPC
	go up.ActivateAndServe()
	t.Cleanup(func() { up.Shutdown() })

	s := NewServer("", []string{upPC.LocalAddr().String()}, nil)
	svcs, eps := cluster()
	s.SetIndex(BuildIndex("", svcs, eps))
	addr := serve(t, s)

	for _, network := range []string{"udp", "tcp"} {
		m := query(t, network, addr, "web.default.svc.cluster.local.", dns.TypeA)
		if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != "10.96.0.20" {
			t.Fatalf("%s: web answer %v", network, m)
		}
	}
	if m := query(t, "udp", addr, "nope.default.svc.cluster.local.", dns.TypeA); m.Rcode != dns.RcodeNameError {
		t.Fatalf("unknown service: rcode %s, want NXDOMAIN", dns.RcodeToString[m.Rcode])
	}
	m := query(t, "udp", addr, "example.org.", dns.TypeA)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != "127.0.0.9" {
		t.Fatalf("forwarded answer %v", m)
	}
	mu.Lock()
	got := forwarded
	mu.Unlock()
	if !reflect.DeepEqual(got, []string{"example.org."}) {
		t.Fatalf("upstream saw %v; cluster names must never be forwarded", got)
	}

	dead, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead.Close() // a port nobody listens on: the upstream refuses at once
	deadServer := NewServer("", []string{dead.LocalAddr().String()}, nil)
	addr2 := serve(t, deadServer)
	if m := query(t, "udp", addr2, "example.org.", dns.TypeA); m.Rcode != dns.RcodeServerFailure {
		t.Fatalf("dead upstream: rcode %s, want SERVFAIL", dns.RcodeToString[m.Rcode])
	}
}

func TestUpstreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(path, []byte("search example.com\nnameserver 10.255.0.1\nnameserver 10.244.0.1\noptions ndots:2\n"), 0o644)
	got, err := Upstreams(path, "10.244.0.1")
	if err != nil || !reflect.DeepEqual(got, []string{"10.255.0.1:53"}) {
		t.Fatalf("Upstreams = %v, %v", got, err)
	}
	if _, err := Upstreams(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing resolv.conf is not an error")
	}
}

// fakeSource is a proxy.Source over fixed lists whose Wait blocks until
// the test changes them.
type fakeSource struct {
	mu      sync.Mutex
	svcs    []*corev1.Service
	eps     []*corev1.Endpoints
	rv      uint64
	changed chan struct{}
}

func (f *fakeSource) List(context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.svcs, f.eps, f.rv, nil
}

func (f *fakeSource) Wait(ctx context.Context, rv uint64) error {
	f.mu.Lock()
	ch, cur := f.changed, f.rv
	f.mu.Unlock()
	if cur > rv {
		return nil
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
	return nil
}

func (f *fakeSource) set(svcs []*corev1.Service, eps []*corev1.Endpoints) {
	f.mu.Lock()
	f.svcs, f.eps = svcs, eps
	f.rv++
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// TestDiscoveryFollowsSource: the DNS records and the service variables
// follow the source; before the first list ServiceEnv asks the source.
func TestDiscoveryFollowsSource(t *testing.T) {
	src := &fakeSource{changed: make(chan struct{}), rv: 1,
		svcs: []*corev1.Service{service("default", "web", "10.96.0.20", port("", 80, "TCP"))}}
	s := NewServer("", nil, nil)
	d := New(src, s, "", nil)
	env, err := d.ServiceEnv(context.Background(), "default")
	if err != nil || env["WEB_SERVICE_HOST"] != "10.96.0.20" {
		t.Fatalf("ServiceEnv before the first sync = %v, %v", env, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	addr := serve(t, s)

	src.set([]*corev1.Service{service("default", "api", "10.96.0.30", port("", 443, "TCP"))}, nil)
	// Poll until the index shows the change (no fixed sleep).
	for {
		m := query(t, "udp", addr, "api.default.svc.cluster.local.", dns.TypeA)
		if m.Rcode == dns.RcodeSuccess && len(m.Answer) == 1 {
			break
		}
	}
	env, _ = d.ServiceEnv(context.Background(), "default")
	if env["API_SERVICE_HOST"] != "10.96.0.30" || env["WEB_SERVICE_HOST"] != "" {
		t.Fatalf("ServiceEnv after the change = %v", env)
	}
	if m := query(t, "udp", addr, "web.default.svc.cluster.local.", dns.TypeA); m.Rcode != dns.RcodeNameError {
		t.Fatalf("deleted service still answers: %v", m)
	}
}
