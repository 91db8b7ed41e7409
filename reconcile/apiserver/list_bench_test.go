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

// discard is a ResponseWriter that keeps nothing, as a connection does
// (httptest.ResponseRecorder would keep the whole body).
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }

// benchList measures one list request in a store of pods pods over 1,000
// nodes (BENCHMARKS.md, issue 13: memory at scale (round 3)): bytes
// allocated per request are what a burst of such requests holds at once.
func benchList(b *testing.B, pods int, path string, asNode bool) {
	st, err := store.OpenInMemory()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for batch := 0; batch < pods; batch += 1000 {
		if err := st.Update(func(tx *store.Tx) error {
			if batch == 0 {
				if err := tx.Create(testNode("a")); err != nil {
					return err
				}
			}
			for i := batch; i < min(batch+1000, pods); i++ {
				node := fmt.Sprintf("n%d", i%1000)
				if i%1000 == 0 {
					node = "a"
				}
				p := pod(fmt.Sprintf("p%d", i), node)
				p.Spec.Containers[0].EnvFrom = nil
				if err := tx.Create(p); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	ca, err := newBenchCA()
	if err != nil {
		b.Fatal(err)
	}
	h := (&Server{Store: st, Token: "admin-token"}).Handler()
	if _, _, err := st.ListShared("Pod", ""); err != nil { // the decode cache warm, as in a running controller
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("GET", path, nil)
		if asNode {
			req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{ca}}}
		} else {
			req.Header.Set("Authorization", "Bearer admin-token")
		}
		w := &discard{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.code != 0 && w.code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, w.code)
		}
	}
}

// An agent's list of its own pods (30 of 30,000), as every simulated or
// real agent does at start, at every resync and after a dropped watch.
func BenchmarkNodeListOwnPods30k(b *testing.B) {
	benchList(b, 30000, "/api/v1/pods?node=a", true)
}

// A list of every pod as JSON (the scale benchmark's tracker, an informer).
func BenchmarkAdminListPods30k(b *testing.B) {
	benchList(b, 30000, "/api/v1/pods", false)
}
