package apiserver

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestLongRunning(t *testing.T) {
	tests := []struct {
		method, target string
		want           bool
	}{
		{"GET", "/api/v1/watch?resourceVersion=3&kind=Pod&node=n1", true},
		{"GET", "/api/v1/pods?watch=1", true},
		{"GET", "/api/v1/namespaces/default/pods?watch=true&resourceVersion=0", true},
		{"GET", "/apis/apps/v1/watch/deployments", true},
		{"GET", "/api/v1/pods/web/log?namespace=default&follow=true", true},
		{"GET", "/api/v1/ui/changes", true},
		{"GET", "/healthz", true},
		{"GET", "/api/v1/pods/web/log?namespace=default", false},
		{"GET", "/api/v1/pods?watch=false", false},
		{"POST", "/api/v1/nodes/a/heartbeat", false},
		{"PUT", "/api/v1/pods/web/status?namespace=default", false},
		{"GET", "/api/v1/nodes", false},
	}
	for _, tt := range tests {
		if got := longRunning(httptest.NewRequest(tt.method, tt.target, nil)); got != tt.want {
			t.Errorf("%s %s: long-running %v, want %v", tt.method, tt.target, got, tt.want)
		}
	}
}

// With every slot taken, the next request is shed at once with 429 and
// Retry-After; a watch still gets through; a freed slot serves again.
func TestInflightBoundSheds(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(2)
	h := limitInflight(2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered.Done()
			<-release
		}
		w.WriteHeader(http.StatusOK)
	}))
	var done sync.WaitGroup
	for range 2 {
		done.Add(1)
		go func() {
			defer done.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
		}()
	}
	entered.Wait()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/nodes/a/heartbeat", nil))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("third request with two slots taken: %d Retry-After %q, want 429 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/watch?kind=Pod", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("a watch was shed: %d", rec.Code)
	}
	close(release)
	done.Wait()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/nodes/a/heartbeat", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("after the slots were freed: %d", rec.Code)
	}
}
