package agentmetrics

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/metrics"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

var _ agent.Observer = (*Agent)(nil)

func TestAgentMetricsLintAndValues(t *testing.T) {
	a := New()
	a.PodSyncDone(20*time.Millisecond, nil)
	a.PodSyncDone(time.Second, errors.New("podman down"))
	a.ContainerRestarted()
	a.ContainerRestarted()
	a.ProbeFailed(agent.Liveness)
	a.ProbeFailed(agent.Readiness)
	a.ProbeFailed(agent.Readiness)
	a.ProxySynced(proxy.SyncStats{Full: true, Services: 3, Rules: 42, List: time.Millisecond, Restore: 4 * time.Millisecond}, nil)
	a.ProxySynced(proxy.SyncStats{Rules: 1}, errors.New("iptables-restore failed")) // a failed sync keeps the last count
	a.PodmanError("list")
	problems, err := testutil.GatherAndLint(a.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	want := `
# HELP reconcile_agent_container_restarts_total Containers started again after an earlier container of the same pod and name (what raises restartCount).
# TYPE reconcile_agent_container_restarts_total counter
reconcile_agent_container_restarts_total 2
# HELP reconcile_agent_probe_failures_total Failed probe runs, by probe (liveness, readiness, startup).
# TYPE reconcile_agent_probe_failures_total counter
reconcile_agent_probe_failures_total{probe="liveness"} 1
reconcile_agent_probe_failures_total{probe="readiness"} 2
# HELP reconcile_agent_proxy_rules Rules in the proxy's own chains after its last sync.
# TYPE reconcile_agent_proxy_rules gauge
reconcile_agent_proxy_rules 42
# HELP reconcile_agent_podman_errors_total Podman API calls that failed, by operation (list, create_pod, run_container, stop_container, pull_image, ping…).
# TYPE reconcile_agent_podman_errors_total counter
reconcile_agent_podman_errors_total{operation="list"} 1
`
	if err := testutil.GatherAndCompare(a.Registry(), strings.NewReader(want), "reconcile_agent_container_restarts_total",
		"reconcile_agent_probe_failures_total", "reconcile_agent_proxy_rules", "reconcile_agent_podman_errors_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(a.syncDuration); n != 2 {
		t.Fatalf("pod sync duration series = %d, want 2 (ok, error)", n)
	}
}

// Beyond loopback an agent's /metrics is HTTPS with the node's certificate
// and answers only client certificates of the cluster CA whose identity
// may read /metrics.
func TestGuardedEndpointByCertificate(t *testing.T) {
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	issue := func(req pki.Request) *tls.Certificate {
		kp, err := ca.IssueKeyPair(req, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c, err := kp.TLS()
		if err != nil {
			t.Fatal(err)
		}
		return &c
	}
	nodeReq := pki.Request{Subject: pki.NodeSubject("n1"), Usage: pki.ClientAuth | pki.ServerAuth, DNSNames: []string{"n1"}}
	logTLS, err := pki.AgentServerTLS(pki.EncodeCert(ca.Cert.Raw), *issue(nodeReq))
	if err != nil {
		t.Fatal(err)
	}
	e := metrics.Endpoint{Addr: "0.0.0.0:7422", TLS: ServerTLS(logTLS), Guard: Guard}
	hs := httptest.NewUnstartedServer(e.Handler(New().Registry()))
	hs.TLS = e.TLS
	hs.StartTLS()
	defer hs.Close()
	get := func(cert *tls.Certificate) (int, error) {
		tc := &tls.Config{RootCAs: ca.Pool(), ServerName: "n1"}
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		resp, err := c.Get(hs.URL + "/metrics")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for _, tc := range []struct {
		name string
		cert *tls.Certificate
		want int
	}{
		{"metrics reader", issue(pki.Request{Subject: pki.UserSubject("prometheus", "metrics"), Usage: pki.ClientAuth}), http.StatusOK},
		{"viewer", issue(pki.Request{Subject: pki.UserSubject("victor", "viewer"), Usage: pki.ClientAuth}), http.StatusOK},
		{"another node", issue(pki.Request{Subject: pki.NodeSubject("n2"), Usage: pki.ClientAuth}), http.StatusForbidden},
	} {
		code, err := get(tc.cert)
		if err != nil || code != tc.want {
			t.Errorf("%s: code %d, err %v; want %d", tc.name, code, err, tc.want)
		}
	}
	if _, err := get(nil); err == nil {
		t.Errorf("no client certificate: the TLS handshake must fail")
	}
}
