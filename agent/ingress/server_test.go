package ingress

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/websocket"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/reconcile-dev/reconcile/reconcile/ingressclass"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// upstream is a real HTTP server standing for a pod: it answers with its
// name and the headers the proxy set, and echoes WebSocket messages.
func upstream(t *testing.T, name string) (ip string, port int32) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%s host=%s xff=%s proto=%s xhost=%s real=%s port=%t body=%d", name, r.Host,
			r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Host"),
			r.Header.Get("X-Real-IP"), r.Header.Get("X-Forwarded-Port") != "", n)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "late")
	})
	mux.Handle("/ws", websocket.Handler(func(c *websocket.Conn) { _, _ = io.Copy(c, c) }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().(*net.TCPAddr)
	return addr.IP.String(), int32(addr.Port)
}

// world is a snapshot routing two hosts to two upstreams (a by path).
type world struct {
	t    *testing.T
	snap Snapshot
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, snap: Snapshot{}}
	for _, name := range []string{"one", "two"} {
		ip, port := upstream(t, name)
		w.snap.Services = append(w.snap.Services, svc(name, corev1.ServicePort{Port: 80}))
		w.snap.Endpoints = append(w.snap.Endpoints, eps(name, "", port, ip))
	}
	w.snap.Ingresses = []*networkingv1.Ingress{ing("site", 0, "", map[string][]path{
		"one.test":  {{"/", "Prefix", "one", 80}},
		"two.test":  {{"/", "Prefix", "two", 80}},
		"both.test": {{"/one", "Prefix", "one", 80}, {"/two", "Prefix", "two", 80}},
	})}
	return w
}

func startServer(t *testing.T, snap Snapshot) (*Server, *bytes.Buffer, string, string) {
	var logs syncBuffer
	s, err := NewServer(slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Swap(Build(snap))
	plain := httptest.NewServer(s)
	t.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(s)
	secure.TLS = s.TLSConfig()
	secure.EnableHTTP2 = true
	secure.StartTLS()
	t.Cleanup(secure.Close)
	return s, &logs.buf, plain.URL, secure.Listener.Addr().String()
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func get(t *testing.T, c *http.Client, url, host string, body io.Reader) (int, string) {
	t.Helper()
	method := http.MethodGet
	if body != nil {
		method = http.MethodPost
	}
	req, _ := http.NewRequest(method, url, body)
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", method, url, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerRoutes(t *testing.T) {
	w := newWorld(t)
	// A dead endpoint first in one's list: the proxy retries the next.
	w.snap.Endpoints[0].Subsets[0].Addresses = append(w.snap.Endpoints[0].Subsets[0].Addresses, corev1.EndpointAddress{IP: "127.0.0.1"})
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close()
	w.snap.Endpoints[0].Subsets = append(w.snap.Endpoints[0].Subsets, corev1.EndpointSubset{
		Addresses: []corev1.EndpointAddress{{IP: "127.0.0.1"}}, Ports: []corev1.EndpointPort{{Port: int32(deadPort)}}})
	limited := ing("limited", 1, "", map[string][]path{"small.test": {{"/", "Prefix", "two", 80}}})
	limited.Annotations = map[string]string{ingressclass.AnnotationBodySize: "1k", ingressclass.AnnotationReadTimeout: "1"}
	w.snap.Ingresses = append(w.snap.Ingresses, limited)
	_, logs, url, _ := startServer(t, w.snap)
	c := &http.Client{}
	for _, tc := range []struct {
		host, path string
		body       string
		status     int
		prefix     string
	}{
		{"one.test", "/", "", 200, "one host=one.test xff=127.0.0.1 proto=http xhost=one.test real=127.0.0.1 port=true"},
		{"two.test:80", "/x", "", 200, "two host=two.test:80"},
		{"both.test", "/one/a", "", 200, "one "},
		{"both.test", "/two", "", 200, "two "},
		{"both.test", "/three", "", 404, "default backend - 404"},
		{"nowhere.test", "/", "", 404, "default backend - 404"},
		{"small.test", "/", strings.Repeat("x", 1000), 200, "two host=small.test"},
		{"small.test", "/", strings.Repeat("x", 2000), 413, "413"},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		// Several requests, so round robin reaches the dead endpoint.
		for range 4 {
			status, got := get(t, c, url+tc.path, tc.host, body)
			if status != tc.status || !strings.HasPrefix(got, tc.prefix) {
				t.Fatalf("Host %s %s: %d %q, want %d %q…", tc.host, tc.path, status, got, tc.status, tc.prefix)
			}
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
		}
	}
	// The read timeout of 1 s answers 504 before the backend's 3 s.
	if status, body := get(t, c, url+"/slow", "small.test", nil); status != http.StatusGatewayTimeout {
		t.Errorf("slow backend with proxy-read-timeout 1: %d %q, want 504", status, body)
	}
	if !strings.Contains(logs.String(), `GET /one/a HTTP/1.1\" 200`) || !strings.Contains(logs.String(), "ingress=default/site") {
		t.Errorf("access log lacks the request line or the ingress:\n%s", logs.String())
	}
}

// TestServerTLS: SNI picks between two certificates; an unknown name gets
// the default certificate; HTTP/2 is negotiated; X-Forwarded-Proto https.
func TestServerTLS(t *testing.T) {
	w := newWorld(t)
	oneCert, twoCert := tlsSecret(t, "one-tls", "one.test"), tlsSecret(t, "two-tls", "*.two.test")
	w.snap.Secrets = []*corev1.Secret{oneCert, twoCert}
	w.snap.Ingresses[0].Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"one.test"}, SecretName: "one-tls"}, {Hosts: []string{"*.two.test"}, SecretName: "two-tls"}}
	_, _, _, addr := startServer(t, w.snap)
	for _, tc := range []struct{ sni, wantCN string }{{"one.test", "one-tls"}, {"a.two.test", "two-tls"}, {"other.test", DefaultCertName}} {
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: tc.sni, InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		st := conn.ConnectionState()
		conn.Close()
		if cn := st.PeerCertificates[0].Subject.CommonName; cn != tc.wantCN {
			t.Errorf("SNI %s: certificate %q, want %q", tc.sni, cn, tc.wantCN)
		}
		if st.NegotiatedProtocol != "h2" {
			t.Errorf("SNI %s: ALPN %q, want h2", tc.sni, st.NegotiatedProtocol)
		}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(oneCert.Data[corev1.TLSCertKey])
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "one.test"}, ForceAttemptHTTP2: true}}
	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/", nil)
	req.Host = "one.test"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || !strings.Contains(string(b), "proto=https") {
		t.Errorf("over TLS: %s %q, want HTTP/2 and X-Forwarded-Proto https", resp.Proto, b)
	}
}

func TestServerWebSocket(t *testing.T) {
	_, _, url, _ := startServer(t, newWorld(t).snap)
	cfg, err := websocket.NewConfig(strings.Replace(url, "http", "ws", 1)+"/ws", "http://one.test/")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Header = http.Header{}
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Location.Host = "one.test" // the Host header the proxy routes by
	ws, err := websocket.NewClient(cfg, conn)
	if err != nil {
		t.Fatalf("WebSocket handshake through the proxy: %v", err)
	}
	defer ws.Close()
	for _, msg := range []string{"hello", "again"} {
		if err := websocket.Message.Send(ws, msg); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil || got != msg {
			t.Fatalf("echo of %q: %q, %v", msg, got, err)
		}
	}
}

// TestServerSwapDropsNothing: tables swapped while clients keep requesting
// on kept-alive connections; every request succeeds.
func TestServerSwapDropsNothing(t *testing.T) {
	w := newWorld(t)
	s, _, url, _ := startServer(t, w.snap)
	ctx, cancel := context.WithCancel(context.Background())
	var failed, done atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{}
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
				req.Host = "one.test"
				resp, err := c.Do(req)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				done.Add(1)
			}
		}()
	}
	for i := range 200 {
		snap := w.snap
		snap.Ingresses = append([]*networkingv1.Ingress{}, w.snap.Ingresses...)
		snap.Ingresses = append(snap.Ingresses, ing(fmt.Sprintf("extra-%d", i), 2, "", map[string][]path{"two.test": {{fmt.Sprintf("/p%d", i), "Exact", "two", 80}}}))
		s.Swap(Build(snap))
		testkit.Eventually(t, time.Minute, "requests to keep flowing", func() error {
			if done.Load() <= int64(i) {
				return fmt.Errorf("%d requests done", done.Load())
			}
			return nil
		})
	}
	cancel()
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed across 200 swaps", failed.Load(), done.Load())
	}
}
