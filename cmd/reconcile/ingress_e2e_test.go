package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/websocket"
	networkingv1 "k8s.io/api/networking/v1"
)

// testCA is a certificate authority made for one test, and leaf
// certificates it signs (PEM).
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ingress e2e test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

func (ca *testCA) leaf(t *testing.T, serial int64, host string) (certPEM, keyPEM string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

// indent prefixes every line of a PEM block for a YAML block scalar.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+prefix)
}

func ingressApp(name string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: e2e}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
        - name: hello
          image: localhost/reconcile-hello:v1
          imagePullPolicy: IfNotPresent
          env: [{name: GREETING, value: %[1]s}]
          ports: [{containerPort: 8080, name: http}]
          readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: e2e}
spec:
  selector: {app: %[1]s}
  ports: [{name: web, port: 80, targetPort: http}]
`, name)
}

func tlsSecretYAML(name, certPEM, keyPEM string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: e2e}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n%s\n  tls.key: |\n%s\n",
		name, indent(certPEM, "    "), indent(keyPEM, "    "))
}

// ingressYAML routes one.example.test and two.example.test to their
// services over HTTP and HTTPS, and paths of both.example.test; extra
// adds paths to one.example.test.
func ingressYAML(extra string) string {
	return `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: reconcile
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: reconcile.dev/ingress}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: e2e}
spec:
  ingressClassName: reconcile
  tls:
    - {hosts: [one.example.test], secretName: one-tls}
    - {hosts: [two.example.test], secretName: two-tls}
  rules:
    - host: one.example.test
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: one, port: {name: web}}}}` + extra + `
    - host: two.example.test
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: two, port: {number: 80}}}}
    - host: both.example.test
      http:
        paths:
          - {path: /one, pathType: Prefix, backend: {service: {name: one, port: {number: 80}}}}
          - {path: /two, pathType: Exact, backend: {service: {name: two, port: {number: 80}}}}
`
}

// ingressGet requests path of host through the ingress's plain HTTP port.
func ingressGet(c *http.Client, port int, host, path string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+path, nil)
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestE2EIngress: the agent's ingress proxy in `reconcile up` (on free
// high ports, so concurrent tests do not collide on 80/443) routes by host
// and path to two Deployments' pods, serves each host's certificate from
// its kubernetes.io/tls Secret by SNI (a test CA verifies them), upgrades
// WebSockets, and takes a new path while requests stream, none failing.
func TestE2EIngress(t *testing.T) {
	ca := newTestCA(t)
	oneCert, oneKey := ca.leaf(t, 2, "one.example.test")
	twoCert, twoKey := ca.leaf(t, 3, "two.example.test")
	httpPort, httpsPort := freePort(t), freePort(t)
	files := map[string]string{
		"namespace.yaml": e2eNamespace,
		"one.yaml":       ingressApp("one"),
		"two.yaml":       ingressApp("two"),
		"tls.yaml":       tlsSecretYAML("one-tls", oneCert, oneKey) + "---\n" + tlsSecretYAML("two-tls", twoCert, twoKey),
		"ingress.yaml":   ingressYAML(""),
	}
	c := newCluster(t, files, "--ingress-http-port", strconv.Itoa(httpPort), "--ingress-https-port", strconv.Itoa(httpsPort))
	client := &http.Client{Timeout: 10 * time.Second}
	greets := func(host, path, who string) func() error {
		return func() error {
			status, body, err := ingressGet(client, httpPort, host, path)
			if err != nil || status != 200 || !strings.Contains(body, `greeting="`+who+`"`) {
				return fmt.Errorf("Host %s %s: %d %q %v, want 200 from %s", host, path, status, body, err, who)
			}
			return nil
		}
	}
	c.eventually(3*time.Minute, "both services answer through the ingress", func() error {
		if err := greets("one.example.test", "/", "one")(); err != nil {
			return err
		}
		return greets("two.example.test", "/", "two")()
	})

	t.Run("host and path", func(t *testing.T) {
		for _, tc := range []struct{ host, path, who string }{
			{"one.example.test", "/any/path", "one"},
			{"two.example.test", "/", "two"},
			{"both.example.test", "/one/x", "one"},
			{"both.example.test", "/two", "two"},
		} {
			if err := greets(tc.host, tc.path, tc.who)(); err != nil {
				t.Error(err)
			}
		}
		for _, tc := range []struct{ host, path string }{{"both.example.test", "/two/x"}, {"both.example.test", "/oneself"}, {"nobody.example.test", "/"}} {
			if status, body, err := ingressGet(client, httpPort, tc.host, tc.path); err != nil || status != 404 {
				t.Errorf("Host %s %s: %d %q %v, want 404 (no rule matches, no default backend)", tc.host, tc.path, status, body, err)
			}
		}
	})

	t.Run("TLS by SNI", func(t *testing.T) {
		for _, who := range []string{"one", "two"} {
			host := who + ".example.test"
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool, ServerName: host}, ForceAttemptHTTP2: true}
			hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:"+strconv.Itoa(httpsPort)+"/", nil)
			req.Host = host
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("HTTPS to %s (verified against the test CA, so the proxy chose %s's certificate): %v", host, who, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor != 2 || !strings.Contains(string(b), `greeting="`+who+`"`) {
				t.Errorf("HTTPS %s: %s %q, want HTTP/2 and %s's greeting", host, resp.Proto, b, who)
			}
			tr.CloseIdleConnections()
		}
	})

	t.Run("WebSocket echo", func(t *testing.T) {
		cfg, err := websocket.NewConfig("ws://one.example.test/ws", "http://one.example.test/")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(httpPort), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := websocket.NewClient(cfg, conn)
		if err != nil {
			t.Fatalf("WebSocket upgrade through the ingress: %v", err)
		}
		defer ws.Close()
		ws.SetDeadline(time.Now().Add(20 * time.Second))
		for _, msg := range []string{"ping", "through the ingress"} {
			var got string
			if err := websocket.Message.Send(ws, msg); err != nil {
				t.Fatal(err)
			}
			if err := websocket.Message.Receive(ws, &got); err != nil || got != msg {
				t.Fatalf("echo of %q: %q %v", msg, got, err)
			}
		}
	})

	t.Run("change under load drops nothing", func(t *testing.T) {
		var sent, failed atomic.Int64
		var firstErr atomic.Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := greets("one.example.test", "/", "one")(); err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					sent.Add(1)
				}
			}()
		}
		atLeast := func(n int64) func() error {
			return func() error {
				if sent.Load() < n {
					return fmt.Errorf("%d requests sent", sent.Load())
				}
				return nil
			}
		}
		c.eventually(time.Minute, "requests streaming before the change", atLeast(200))
		c.commit("ingress: a new path", map[string]string{"ingress.yaml": ingressYAML(`
          - {path: /new, pathType: Exact, backend: {service: {name: two, port: {number: 80}}}}`)})
		c.eventually(2*time.Minute, "the new path routes to two", greets("one.example.test", "/new", "two"))
		c.eventually(time.Minute, "requests streaming after the change", atLeast(sent.Load()+200))
		close(stop)
		wg.Wait()
		t.Logf("%d requests during the change, %d failed", sent.Load(), failed.Load())
		if failed.Load() != 0 || sent.Load() == 0 {
			t.Errorf("%d of %d requests failed during the change; first: %v", failed.Load(), sent.Load(), firstErr.Load())
		}
	})

	t.Run("status lists the node address", func(t *testing.T) {
		c.eventually(time.Minute, "status.loadBalancer.ingress", func() error {
			out, err := c.run("get", "ingress", "site", "-n", "e2e", "-o", "json")
			if err != nil {
				return err
			}
			var ing networkingv1.Ingress
			if err := json.Unmarshal([]byte(out), &ing); err != nil {
				return err
			}
			if len(ing.Status.LoadBalancer.Ingress) == 0 || ing.Status.LoadBalancer.Ingress[0].IP == "" {
				return fmt.Errorf("status %+v", ing.Status)
			}
			table, err := c.run("get", "ingresses", "-n", "e2e")
			if err != nil || !strings.Contains(table, ing.Status.LoadBalancer.Ingress[0].IP) || !strings.Contains(table, "one.example.test,two.example.test,both.example.test") {
				return fmt.Errorf("get ingresses does not show the hosts and the address: %v\n%s", err, table)
			}
			return nil
		})
	})
}
