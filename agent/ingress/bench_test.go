package ingress_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/agent/ingress"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// benchIngress is Ingress i of a benchmark cluster: host h<i>.example.test,
// path /p → Service svc-<i>.
func benchIngress(i int, paths ...string) *networkingv1.Ingress {
	name := fmt.Sprintf("svc-%05d", i)
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}}
	rule := networkingv1.IngressRule{Host: fmt.Sprintf("h%d.example.test", i), IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}
	for _, p := range append([]string{"/"}, paths...) {
		rule.HTTP.Paths = append(rule.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p, PathType: ptr.To(networkingv1.PathTypePrefix),
			Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Number: 80}}}})
	}
	ing.Spec.Rules = []networkingv1.IngressRule{rule}
	objects.SetTypeMeta(ing, "Ingress")
	return ing
}

func benchService(i int, ip string, port int32) (*corev1.Service, *corev1.Endpoints) {
	name := fmt.Sprintf("svc-%05d", i)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}}}
	objects.SetTypeMeta(svc, "Service")
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: ip}}, Ports: []corev1.EndpointPort{{Port: port, Protocol: corev1.ProtocolTCP}}}}}
	objects.SetTypeMeta(ep, "Endpoints")
	return svc, ep
}

// BenchmarkIngressAddedLatency sends requests at a fixed rate of 1,000 per
// second, alternately to a pod's HTTP server directly and through the
// ingress proxy (both over loopback TCP with kept-alive connections, open
// loop: a late answer does not delay the next request), and reports the
// median and p99 of both and the difference.
func BenchmarkIngressAddedLatency(b *testing.B) {
	pod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the pod\n")
	}))
	defer pod.Close()
	addr := pod.Listener.Addr().(*net.TCPAddr)
	svc, ep := benchService(0, addr.IP.String(), int32(addr.Port))
	srv, err := ingress.NewServer(quietLog())
	if err != nil {
		b.Fatal(err)
	}
	srv.Swap(ingress.Build(ingress.Snapshot{Ingresses: []*networkingv1.Ingress{benchIngress(0)},
		Services: []*corev1.Service{svc}, Endpoints: []*corev1.Endpoints{ep}}))
	proxy := httptest.NewServer(srv)
	defer proxy.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
	for range b.N {
		direct, via, err := testkit.SideBySide(1000, 5000, getter(client, pod.URL+"/"), getter(client, proxy.URL+"/"))
		if err != nil {
			b.Fatal(err)
		}
		testkit.ReportSideBySide(b, "direct", "ingress", direct, via)
	}
}

// getter is one GET of url with Host h0.example.test that must answer 200.
func getter(client *http.Client, url string) func() error {
	return func() error {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = "h0.example.test"
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	}
}

// BenchmarkIngressChangeLive: 1,000 Ingresses (and their Services and
// Endpoints) in a real store behind the API server; the agent's cache
// follows the watch and the proxy rebuilds its table. One Ingress gains a
// path; the time from the store write to the swap of a table routing it
// is reported (the path answers from the next request on).
func BenchmarkIngressChangeLive(b *testing.B) {
	st, err := store.OpenInMemory()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 1000
	if err := st.Update(func(tx *store.Tx) error {
		for i := range n {
			svc, ep := benchService(i, "10.244.0.1", 8080)
			for _, o := range []objects.Object{svc, ep, benchIngress(i)} {
				if err := tx.Create(o); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := apiclient.New(hs.URL, "")
	srv, err := ingress.NewServer(quietLog())
	if err != nil {
		b.Fatal(err)
	}
	type swap struct {
		t  *ingress.Table
		at time.Time
	}
	swaps := make(chan swap, 64)
	src := &ingress.CacheSource{Cache: apiclient.NewKindCache(ctx, client, true, ingress.Kinds...), Get: client.GetRevealed}
	go srv.Follow(ctx, src, func(t *ingress.Table) { swaps <- swap{t, time.Now()} })
	for s := range swaps {
		if s.t.Served == n {
			break
		}
	}
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		path := "/v" + strconv.Itoa(i)
		ing := benchIngress(500, path)
		start := time.Now()
		if err := st.Update(func(tx *store.Tx) error {
			cur, err := tx.Get(objects.KeyOf(ing))
			if err != nil {
				return err
			}
			ing.ResourceVersion = cur.GetResourceVersion()
			return tx.Update(ing)
		}); err != nil {
			b.Fatal(err)
		}
		for s := range swaps {
			if r, ok := s.t.Route("h500.example.test", path); ok && r.Path == path {
				took = append(took, s.at.Sub(start))
				break
			}
		}
	}
	b.StopTimer()
	p50, p99 := testkit.Quantile(took, 0.5), testkit.Quantile(took, 0.99)
	b.ReportMetric(float64(p50.Microseconds())/1000, "live-p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "live-p99-ms")
}

// BenchmarkIngressRequest is the closed-loop cost of one request, direct
// to the pod's server and through the proxy (same client, kept-alive
// connections): the difference is the proxy's own time per request,
// less sensitive to a loaded machine than the fixed-rate tails.
func BenchmarkIngressRequest(b *testing.B) {
	pod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the pod\n")
	}))
	defer pod.Close()
	addr := pod.Listener.Addr().(*net.TCPAddr)
	svc, ep := benchService(0, addr.IP.String(), int32(addr.Port))
	srv, err := ingress.NewServer(quietLog())
	if err != nil {
		b.Fatal(err)
	}
	srv.Swap(ingress.Build(ingress.Snapshot{Ingresses: []*networkingv1.Ingress{benchIngress(0)},
		Services: []*corev1.Service{svc}, Endpoints: []*corev1.Endpoints{ep}}))
	proxy := httptest.NewServer(srv)
	defer proxy.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for _, target := range []struct{ name, url string }{{"direct", pod.URL}, {"ingress", proxy.URL}} {
		b.Run(target.name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, target.url+"/", nil)
			req.Host = "h0.example.test"
			b.ReportAllocs()
			for range b.N {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
