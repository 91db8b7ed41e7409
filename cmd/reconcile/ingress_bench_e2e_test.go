package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// BenchmarkE2EIngressLatency: `reconcile up` with one hello pod behind an
// Ingress; 1,000 requests per second for 5 s, alternately straight to the
// pod (its IP and port 8080, over the Podman bridge) and through the
// agent's ingress proxy on the node; reports both sides' median and p99
// and what the ingress adds (issue 11: ≤ 1 ms median, ≤ 5 ms p99). Run
// with -benchtime=1x.
func BenchmarkE2EIngressLatency(b *testing.B) {
	httpPort := freePort(b)
	files := map[string]string{
		"namespace.yaml": e2eNamespace,
		"one.yaml":       strings.Replace(ingressApp("one"), "replicas: 2", "replicas: 1", 1),
		"ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, namespace: e2e}
spec:
  rules:
    - host: one.example.test
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: one, port: {number: 80}}}}
`,
	}
	c := newCluster(b, files, "--ingress-http-port", strconv.Itoa(httpPort), "--ingress-https-port", "0")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
	get := func(url string) func() error {
		return func() error {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Host = "one.example.test"
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err == nil && (resp.StatusCode != 200 || !strings.Contains(string(body), `greeting="one"`)) {
				err = fmt.Errorf("%s: %s %q", url, resp.Status, body)
			}
			return err
		}
	}
	var podIP string
	c.eventually(3*time.Minute, "the pod answers through the ingress", func() error {
		running := runningPods(c.pods("e2e"))
		if len(running) != 1 || running[0].Status.PodIP == "" {
			return fmt.Errorf("%d running pods", len(running))
		}
		podIP = running[0].Status.PodIP
		return get("http://127.0.0.1:" + strconv.Itoa(httpPort) + "/")()
	})
	direct, via := get("http://"+podIP+":8080/"), get("http://127.0.0.1:"+strconv.Itoa(httpPort)+"/")
	b.ResetTimer()
	for range b.N {
		d, v, err := testkit.SideBySide(1000, 5000, direct, via)
		if err != nil {
			b.Fatal(err)
		}
		testkit.ReportSideBySide(b, "direct", "ingress", d, v)
	}
}
