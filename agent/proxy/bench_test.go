package proxy

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// world returns n ClusterIP services with two ready endpoints each.
func world(n int) ([]*corev1.Service, []*corev1.Endpoints) {
	svcs := make([]*corev1.Service, n)
	eps := make([]*corev1.Endpoints, n)
	for i := range n {
		name := fmt.Sprintf("svc-%05d", i)
		svcs[i] = service(name, fmt.Sprintf("10.96.%d.%d", i/250, i%250+1), corev1.ServiceTypeClusterIP, port("http", corev1.ProtocolTCP, 80, 0))
		eps[i] = endpoints(name, map[string]int32{"http": 8080}, []string{
			fmt.Sprintf("10.244.%d.%d", (2*i)/250, (2*i)%250+1), fmt.Sprintf("10.244.%d.%d", (2*i+1)/250, (2*i+1)%250+1)})
		// As from the store: the Renderer remembers rules by these.
		svcs[i].UID, svcs[i].ResourceVersion = types.UID(name), fmt.Sprint(2*i+1)
		eps[i].UID, eps[i].ResourceVersion = types.UID(name+"-ep"), fmt.Sprint(2*i+2)
	}
	return svcs, eps
}

// BenchmarkRender10k: the pure part of a full sync.
func BenchmarkRender10k(b *testing.B) {
	svcs, eps := world(10000)
	c := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		RestoreText(Render(svcs, eps, Options{}), nil, nil, nil)
	}
	b.ReportMetric(float64((cpuTime()-c).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkRender10kLoadBalancers: a full render of 10,000 services
// (Options.ClusterCIDR and NodeName set), none or every tenth of them a
// LoadBalancer answering on two node addresses (half of those
// externalTrafficPolicy Local, one endpoint on this node): what the load
// balancer rules add.
func BenchmarkRender10kLoadBalancers(b *testing.B) {
	for _, every := range []int{0, 10} {
		b.Run(fmt.Sprintf("lb-every=%d", every), func(b *testing.B) {
			svcs, eps := world(10000)
			for i := 0; every > 0 && i < len(svcs); i += every {
				s := svcs[i]
				s.Spec.Type = corev1.ServiceTypeLoadBalancer
				s.Spec.Ports[0].NodePort = int32(30000 + i/every)
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.168.1.2"}, {IP: "192.168.1.3"}}
				if (i/every)%2 == 0 {
					s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
					node := "n1"
					eps[i].Subsets[0].Addresses[0].NodeName = &node
				}
			}
			opts := Options{ClusterCIDR: "10.244.0.0/16", NodeName: "n1"}
			c := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				RestoreText(Render(svcs, eps, opts), nil, nil, nil)
			}
			b.ReportMetric(float64((cpuTime()-c).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkRenderPartial10k: render and diff after one service is added
// to 10,000 (what a partial sync computes before iptables-restore), with
// the Renderer's memory of the other 10,000.
func BenchmarkRenderPartial10k(b *testing.B) {
	svcs, eps := world(10001)
	r := &Renderer{}
	prev := r.Render(svcs[:10000], eps[:10000])
	c := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		r.Render(svcs[:10000], eps[:10000])
		RestoreText(r.Render(svcs, eps), &prev, nil, nil)
	}
	b.ReportMetric(float64((cpuTime()-c).Microseconds())/1000/float64(b.N)/2, "cpu-ms/render")
}

func realIptables(b *testing.B) Exec {
	if os.Getenv("PROXY_BENCH_REAL") == "" {
		b.Skip("set PROXY_BENCH_REAL=1 to benchmark the real iptables (in a private network namespace; slow)")
	}
	e := netns(b)
	if bin := os.Getenv("PROXY_BENCH_RESTORE"); bin != "" { // e.g. iptables-legacy-restore
		e.RestoreBin = bin
	}
	return e
}

// BenchmarkFullSync10k: render and apply 10,000 services × 2 endpoints
// into empty tables (the first sync of an agent), one per iteration in a
// fresh namespace; also reports the bare iptables-restore of the same
// text in another fresh namespace, and their ratio.
func BenchmarkFullSync10k(b *testing.B) {
	for _, h := range hairpins {
		b.Run(h.name, func(b *testing.B) { fullSync10k(b, h.opts) })
	}
}

// hairpins: hairpin rules for every endpoint (kube-proxy's rules), or
// only for the endpoints in this node's pod subnet (a /24 of the 20,000).
var hairpins = []struct {
	name string
	opts Options
}{{"hairpin=all", Options{}}, {"hairpin=local", Options{NodePodCIDR: "10.244.0.0/24"}}}

func fullSync10k(b *testing.B, opts Options) {
	svcs, eps := world(10000)
	src := &memSource{svcs: svcs, eps: eps}
	var sync, bare, syncCPU, bareCPU time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := realIptables(b)
		b.StartTimer()
		t, c := time.Now(), cpuTime()
		if _, err := (&Proxier{Source: src, IPTables: e, Options: opts}).Sync(b.Context()); err != nil {
			b.Fatal(err)
		}
		sync, syncCPU = sync+time.Since(t), syncCPU+cpuTime()-c
		b.StopTimer()
		text := RestoreText(Render(svcs, eps, opts), nil, nil, Hooks)
		other := realIptables(b)
		t, c = time.Now(), cpuTime()
		if err := other.Restore(b.Context(), text); err != nil {
			b.Fatal(err)
		}
		bare, bareCPU = bare+time.Since(t), bareCPU+cpuTime()-c
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(sync.Milliseconds())/n, "sync-ms")
	b.ReportMetric(float64(syncCPU.Milliseconds())/n, "sync-cpu-ms")
	b.ReportMetric(float64(bare.Milliseconds())/n, "bare-restore-ms")
	b.ReportMetric(float64(bareCPU.Milliseconds())/n, "bare-restore-cpu-ms")
	b.ReportMetric(float64(sync)/float64(bare), "sync/bare")
}

// BenchmarkAddOneService10k: with 10,000 services in the kernel, one
// service with two endpoints appears; the time from the changed input to
// the rules in the kernel (list from memory, render, diff, one partial
// iptables-restore). Each iteration adds another service.
func BenchmarkAddOneService10k(b *testing.B) {
	for _, h := range hairpins {
		b.Run(h.name, func(b *testing.B) { addOneService10k(b, h.opts) })
	}
}

func addOneService10k(b *testing.B, opts Options) {
	svcs, eps := world(10000 + b.N)
	e := realIptables(b)
	src := &memSource{svcs: svcs[:10000], eps: eps[:10000]}
	p := &Proxier{Source: src, IPTables: e, Options: opts}
	if _, err := p.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	var restore time.Duration
	c := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src.svcs, src.eps = svcs[:10001+i], eps[:10001+i]
		st, err := p.Sync(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if st.Full || st.RestoreSize == 0 {
			b.Fatalf("sync %d: full=%v bytes=%d, want a partial sync", i, st.Full, st.RestoreSize)
		}
		restore += st.Restore
	}
	b.ReportMetric(float64(restore.Microseconds())/1000/float64(b.N), "restore-ms/op")
	b.ReportMetric(float64((cpuTime()-c).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkPartialSync10k: the agent's CPU per change at 10,000
// services, without the kernel: list from memory, render (remembered),
// diff, and a fake restore of the small text.
func BenchmarkPartialSync10k(b *testing.B) {
	svcs, eps := world(10000 + b.N)
	src := &memSource{svcs: svcs[:10000], eps: eps[:10000]}
	p := &Proxier{Source: src, IPTables: nopIPTables{}}
	if _, err := p.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	c := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src.svcs, src.eps = svcs[:10001+i], eps[:10001+i]
		if st, err := p.Sync(b.Context()); err != nil || st.Full {
			b.Fatal(err, st.Full)
		}
	}
	b.ReportMetric(float64((cpuTime()-c).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// nopIPTables accepts every restore (for measuring the proxy's own work).
type nopIPTables struct{}

func (nopIPTables) Restore(context.Context, []byte) error             { return nil }
func (nopIPTables) OwnedChains(context.Context) ([]TableChain, error) { return nil, nil }
func (nopIPTables) HasHook(context.Context, Hook) (bool, error)       { return true, nil }
