package proxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func localLB(name string, hcPort int32) *corev1.Service {
	s := loadBalancer(name, "10.96.0.80", []string{"192.168.1.2"}, port("", corev1.ProtocolTCP, 80, 30100))
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	s.Spec.HealthCheckNodePort = hcPort
	return s
}

func TestHealthChecks(t *testing.T) {
	cluster := loadBalancer("cluster", "10.96.0.81", nil, port("", corev1.ProtocolTCP, 80, 30101))
	cluster.Spec.HealthCheckNodePort = 31999 // not Local: ignored
	nodes := map[string]string{"10.88.0.2": "n1", "10.88.0.3": "n1", "10.88.1.2": "n2"}
	two := onNodes(endpoints("web", map[string]int32{"": 8080, "b": 8081}, []string{"10.88.0.2", "10.88.0.3", "10.88.1.2"}, "10.88.0.4"), nodes)
	got := HealthChecks([]*corev1.Service{localLB("web", 32000), localLB("idle", 32001), cluster},
		[]*corev1.Endpoints{two, onNodes(endpoints("idle", map[string]int32{"": 8080}, []string{"10.88.1.2"}), nodes)}, "n1")
	want := map[int32]HealthCheck{32000: {"default", "web", 2}, 32001: {"default", "idle", 0}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("port %d: %+v, want %+v", p, got[p], w)
		}
	}
	if hc := HealthChecks([]*corev1.Service{localLB("web", 32000)}, []*corev1.Endpoints{two}, ""); hc[32000].LocalEndpoints != 0 {
		t.Errorf("without a node name: %+v, want no local endpoint", hc)
	}
}

func TestServeHealthCheck(t *testing.T) {
	for _, tc := range []struct {
		hc      HealthCheck
		healthy bool
		code    int
	}{
		{HealthCheck{"shop", "web", 2}, true, 200},
		{HealthCheck{"shop", "web", 0}, true, 503},
		{HealthCheck{"shop", "web", 1}, false, 503},
	} {
		rec := httptest.NewRecorder()
		ServeHealthCheck(rec, tc.hc, tc.healthy)
		if rec.Code != tc.code || rec.Header().Get("Content-Type") != "application/json" ||
			rec.Header().Get("X-Load-Balancing-Endpoint-Weight") != string(rune('0'+tc.hc.LocalEndpoints)) {
			t.Errorf("%+v: %d %v", tc, rec.Code, rec.Header())
		}
		want := "{\n\t\"service\": {\n\t\t\"namespace\": \"shop\",\n\t\t\"name\": \"web\"\n\t},\n\t\"localEndpoints\": " +
			string(rune('0'+tc.hc.LocalEndpoints)) + ",\n\t\"serviceProxyHealthy\": " + map[bool]string{true: "true", false: "false"}[tc.healthy] + "\n}"
		if rec.Body.String() != want {
			t.Errorf("body\n%s\nwant\n%s", rec.Body.String(), want)
		}
	}
}

// TestProxierServesHealthChecks: after a sync the node answers on the
// health check port with its local endpoint count, the count follows the
// endpoints, and the port closes when the service goes.
func TestProxierServesHealthChecks(t *testing.T) {
	var mu sync.Mutex
	addrs := map[int32]string{}
	hs := &HealthServer{Listen: func(port int32) (net.Listener, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // the real port may be taken on a shared machine
		if err == nil {
			mu.Lock()
			addrs[port] = ln.Addr().String()
			mu.Unlock()
		}
		return ln, err
	}}
	defer hs.Close()
	nodes := map[string]string{"10.88.0.2": "n1", "10.88.1.2": "n2"}
	src := &memSource{svcs: []*corev1.Service{localLB("web", 32000)},
		eps: []*corev1.Endpoints{onNodes(endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.1.2"}), nodes)}}
	p := &Proxier{Source: src, IPTables: NewFake(), Options: Options{NodeName: "n1"}, HealthServer: hs}
	check := func(wantCode int, wantBody string) {
		t.Helper()
		mu.Lock()
		addr := addrs[32000]
		mu.Unlock()
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantCode || !strings.Contains(string(b), wantBody) {
			t.Fatalf("health check: %d %s, want %d and %q", resp.StatusCode, b, wantCode, wantBody)
		}
	}
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	check(200, `"localEndpoints": 1`)
	src.eps = []*corev1.Endpoints{onNodes(endpoints("web", map[string]int32{"": 8080}, []string{"10.88.1.2"}), nodes)}
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	check(503, `"localEndpoints": 0`)
	src.svcs, src.eps = nil, nil
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ports := hs.Ports(); len(ports) != 0 {
		t.Fatalf("ports %v still served after the service went", ports)
	}
	if _, err := http.Get("http://" + addrs[32000] + "/"); err == nil {
		t.Fatal("the closed health check port still answers")
	}
}
