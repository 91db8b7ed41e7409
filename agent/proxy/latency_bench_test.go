package proxy_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// signalling wraps the real iptables and reports when a restore that
// mentions a given text has returned (the rules are in the kernel).
type signalling struct {
	proxy.Exec
	mu     sync.Mutex
	want   string
	landed chan time.Time
}

func (s *signalling) Restore(ctx context.Context, text []byte) error {
	err := s.Exec.Restore(ctx, text)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.want != "" && strings.Contains(string(text), s.want) {
		s.want = ""
		s.landed <- time.Now()
	}
	return err
}

func (s *signalling) expect(text string) {
	s.mu.Lock()
	s.want = text
	s.mu.Unlock()
}

func svcAndEndpoints(i int) (*corev1.Service, *corev1.Endpoints) {
	name := fmt.Sprintf("svc-%05d", i)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: fmt.Sprintf("10.96.%d.%d", i/250, i%250+1), Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}}
	objects.SetTypeMeta(svc, "Service")
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: fmt.Sprintf("10.244.%d.%d", (2*i)/250, (2*i)%250+1)}, {IP: fmt.Sprintf("10.244.%d.%d", (2*i+1)/250, (2*i+1)%250+1)}},
		Ports:     []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}}}}}
	objects.SetTypeMeta(ep, "Endpoints")
	return svc, ep
}

// BenchmarkEndpointsToKernel10k is the whole path at 10,000 services with
// 2 endpoints each: a Service and its Endpoints are written to the store
// (Badger), the API server streams the events, the agent's ServiceCache
// applies them, the Proxier renders and runs one partial
// iptables-restore in a private network namespace. Reported: the time
// from the commit of the new service's Endpoints (the service itself is
// already in the rules, rejecting) to the restore having returned.
func BenchmarkEndpointsToKernel10k(b *testing.B) {
	// hairpin=local: hairpin rules only for this node's pod subnet (a
	// /24 of the 20,000 endpoints); hairpin=all: for every endpoint.
	for _, h := range []struct {
		name string
		opts proxy.Options
	}{{"hairpin=all", proxy.Options{}}, {"hairpin=local", proxy.Options{NodePodCIDR: "10.244.0.0/24"}}} {
		b.Run(h.name, func(b *testing.B) { endpointsToKernel10k(b, h.opts) })
	}
}

func endpointsToKernel10k(b *testing.B, opts proxy.Options) {
	if os.Getenv("PROXY_BENCH_REAL") == "" || os.Geteuid() != 0 {
		b.Skip("set PROXY_BENCH_REAL=1 (as root) to run against the real iptables in a private network namespace")
	}
	name := fmt.Sprintf("reconcile-proxy-lat-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.Fatalf("ip netns add: %v %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", name).Run()

	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 10000
	for lo := 0; lo < n; lo += 1000 {
		if err := st.Update(func(tx *store.Tx) error {
			for i := lo; i < lo+1000; i++ {
				svc, ep := svcAndEndpoints(i)
				if err := tx.Create(svc); err != nil {
					return err
				}
				if err := tx.Create(ep); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	hs := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ipt := &signalling{Exec: proxy.Exec{Prefix: []string{"nsenter", "--net=/run/netns/" + name}}, landed: make(chan time.Time, 1)}
	p := &proxy.Proxier{Source: apiclient.NewServiceCache(ctx, apiclient.New(hs.URL, "")), IPTables: ipt, Options: opts}
	ipt.expect("default/svc-09999:http")
	t0 := time.Now()
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var first time.Duration
	select {
	case at := <-ipt.landed:
		first = at.Sub(t0)
	case <-time.After(5 * time.Minute):
		b.Fatal("the first sync did not land")
	}
	var total, render, restore time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The Service first (its REJECT rule lands), then the clock
		// starts when its Endpoints are committed.
		svc, ep := svcAndEndpoints(n + i)
		ipt.expect(fmt.Sprintf("default/svc-%05d:http has no endpoints", n+i))
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(svc) }); err != nil {
			b.Fatal(err)
		}
		select {
		case <-ipt.landed:
		case <-time.After(time.Minute):
			b.Fatalf("service %d never reached the kernel", n+i)
		}
		// The rule that sends traffic to the new endpoints.
		ipt.expect(fmt.Sprintf("default/svc-%05d:http -> ", n+i))
		start := time.Now()
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(ep) }); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-ipt.landed:
			total += at.Sub(start)
			st := p.LastSync()
			render, restore = render+st.Render, restore+st.Restore
		case <-time.After(time.Minute):
			b.Fatalf("service %d never reached the kernel", n+i)
		}
	}
	b.ReportMetric(float64(first.Milliseconds()), "first-sync-ms")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "store-to-kernel-ms")
	b.ReportMetric(float64(render.Microseconds())/1000/float64(b.N), "render-ms")
	b.ReportMetric(float64(restore.Microseconds())/1000/float64(b.N), "restore-ms")
}
