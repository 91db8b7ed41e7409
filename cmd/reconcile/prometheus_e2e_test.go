package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
)

// TestE2EPrometheus: `reconcile up` with the controller's metrics beyond
// loopback (HTTPS with the cluster CA, a `metrics` person's certificate
// required) and the agent's on loopback (plain HTTP), scraped by a real
// Prometheus (Debian's package) until a query returns the commit apply
// histogram and both targets are up.
func TestE2EPrometheus(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Geteuid() != 0 {
			t.Skip("prometheus not installed and not root to install it: run `make setup` as root (Debian package prometheus)")
		}
		t.Fatal("prometheus not installed: run `make setup` (Debian package prometheus)")
	}
	controllerAddr := fmt.Sprintf("0.0.0.0:%d", freePort(t)) // beyond loopback: TLS and credentials
	agentAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))    // loopback: plain HTTP
	c := newCluster(t, baseFiles(1, "localhost/reconcile-hello:v1"), "--metrics-listen", controllerAddr, "--agent-metrics-listen", agentAddr)
	c.waitRunning(1, "localhost/reconcile-hello:v1")
	controllerURL := "https://127.0.0.1:" + controllerAddr[strings.LastIndex(controllerAddr, ":")+1:] + "/metrics"

	// Prometheus' own credential: a person of role metrics.
	out, err := runBin("user", "create", "prometheus", "--role", "metrics", "--data", c.data)
	if err != nil {
		t.Fatal(err)
	}
	var cfg clientconfig.Config
	if err := yaml.Unmarshal([]byte(out), &cfg); err != nil || cfg.ClientCertificate == "" {
		t.Fatalf("user create prometheus: %v\n%s", err, out)
	}
	dir := t.TempDir()
	files := map[string]string{"ca.crt": cfg.CertificateAuthority, "prometheus.crt": cfg.ClientCertificate, "prometheus.key": cfg.ClientKey}
	for name, pem := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(pem), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("controller endpoint refuses without credentials", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(cfg.CertificateAuthority))
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get(controllerURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET %s without credentials: %d, want 401", controllerURL, resp.StatusCode)
		}
		if resp, err := http.Get("http://" + agentAddr + "/metrics"); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the agent's loopback endpoint: %v %v", resp, err)
		}
	})

	promAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	promCfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: reconcile-controller
    scheme: https
    tls_config:
      ca_file: %[1]s/ca.crt
      cert_file: %[1]s/prometheus.crt
      key_file: %[1]s/prometheus.key
    static_configs:
      - targets: ["127.0.0.1:%[2]s"]
  - job_name: reconcile-agent
    static_configs:
      - targets: ["%[3]s"]
`, dir, controllerAddr[strings.LastIndex(controllerAddr, ":")+1:], agentAddr)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(promCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var promLog strings.Builder
	prom := exec.Command(promBin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	prom.Stdout, prom.Stderr = &promLog, &promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		prom.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { prom.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			prom.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("prometheus log:\n%s", promLog.String())
		}
	})

	query := func(q string) ([]promSample, error) {
		resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []promSample `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &r); err != nil || r.Status != "success" {
			return nil, fmt.Errorf("query %s: %v: %s", q, err, b)
		}
		return r.Data.Result, nil
	}
	waitSample := func(q string, ok func(promSample) bool) {
		t.Helper()
		c.eventually(3*time.Minute, "Prometheus: "+q, func() error {
			res, err := query(q)
			if err != nil {
				return err
			}
			for _, s := range res {
				if ok(s) {
					return nil
				}
			}
			return fmt.Errorf("no matching sample yet: %v", res)
		})
	}
	value := func(want string) func(promSample) bool {
		return func(s promSample) bool { return len(s.Value) == 2 && s.Value[1] == any(want) }
	}
	waitSample(`up{job="reconcile-controller"}`, value("1"))
	waitSample(`up{job="reconcile-agent"}`, value("1"))
	waitSample(`reconcile_source_commit_apply_duration_seconds_count{result="applied"}`, func(s promSample) bool {
		return s.Metric["source"] != "" && len(s.Value) == 2 && s.Value[1] != any("0")
	})
	waitSample(`reconcile_source_head_applied`, value("1"))
	waitSample(`reconcile_store_objects{kind="Deployment"}`, value("1"))
	waitSample(`reconcile_node_ready{node="e2e-node"}`, value("1"))
	waitSample(`sum(reconcile_agent_pod_sync_duration_seconds_count)`, func(s promSample) bool { return len(s.Value) == 2 && s.Value[1] != any("0") })
	waitSample(`sum(reconcile_api_requests_total{code="200"})`, func(s promSample) bool { return len(s.Value) == 2 && s.Value[1] != any("0") })

	// An invalid commit: HEAD is no longer applied and its error is counted
	// (what alerts.yml's ReconcileHeadNotApplied and ReconcileCommitApplyFailures watch).
	c.commit("an invalid name", map[string]string{"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Name\n  namespace: e2e\n"})
	waitSample(`reconcile_source_head_applied`, value("0"))
	waitSample(`reconcile_source_validation_errors_total`, func(s promSample) bool { return len(s.Value) == 2 && s.Value[1] != any("0") })
	waitSample(`reconcile_source_commit_apply_duration_seconds_count{result="invalid"}`, value("1"))
}

// promSample is one element of an instant query's result vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"` // [unix time, "value"]
}
