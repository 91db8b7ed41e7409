package apiserver

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// benchNodeRequests measures what the guard (authentication from a
// verified certificate, the authorizer, the per-object filter) adds to
// a node's requests, in a store of pods pods in one namespace (one in
// ten on node a, each referencing its own Secret).
func benchNodeRequests(b *testing.B, pods int, method, path string) {
	benchRequests(b, pods, method, path, true)
}

func benchRequests(b *testing.B, pods int, method, path string, asNode bool) {
	st, err := store.OpenInMemory()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(func(tx *store.Tx) error {
		if err := tx.Create(testNode("a")); err != nil {
			return err
		}
		for i := range pods {
			node := "b"
			if i%10 == 0 {
				node = "a"
			}
			p := pod(fmt.Sprintf("p%d", i), node)
			p.Spec.Containers[0].EnvFrom = nil
			if err := tx.Create(p); err != nil {
				return err
			}
		}
		return tx.Create(testSecret("default", "s"))
	}); err != nil {
		b.Fatal(err)
	}
	ca, err := newBenchCA()
	if err != nil {
		b.Fatal(err)
	}
	h := (&Server{Store: st, Token: "admin-token"}).Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(method, path, nil)
		if asNode {
			req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{ca}}}
		} else {
			req.Header.Set("Authorization", "Bearer admin-token")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 300 && w.Code != http.StatusForbidden {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
	}
}

// newBenchCA is node a's certificate (only its subject is read: the
// handshake that verifies it is not part of what is measured).
func newBenchCA() (*x509.Certificate, error) {
	tb := &testing.T{}
	ca := newTestCA(tb)
	c, _ := ca.node(tb, "a")
	return x509.ParseCertificate(c.Certificate[0])
}

func BenchmarkNodeHeartbeat(b *testing.B) {
	benchNodeRequests(b, 0, "POST", "/api/v1/nodes/a/heartbeat")
}

func BenchmarkNodeGetSecret10kPods(b *testing.B) {
	benchNodeRequests(b, 10000, "GET", "/api/v1/secrets/s?namespace=default&reveal=true")
}

func BenchmarkNodeGetPod10kPods(b *testing.B) {
	benchNodeRequests(b, 10000, "GET", "/api/v1/pods/p0?namespace=default")
}

// BenchmarkAdminHeartbeat is the same heartbeat with the admin token: the
// difference to BenchmarkNodeHeartbeat is what a node identity costs.
func BenchmarkAdminHeartbeat(b *testing.B) {
	benchRequests(b, 0, "POST", "/api/v1/nodes/a/heartbeat", false)
}

func BenchmarkAdminGetSecret10kPods(b *testing.B) {
	benchRequests(b, 10000, "GET", "/api/v1/secrets/s?namespace=default&reveal=true", false)
}
