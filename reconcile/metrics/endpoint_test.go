package metrics

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// On loopback the endpoint is plain HTTP without credentials.
func TestEndpointLoopbackIsPlain(t *testing.T) {
	reg := NewRegistry()
	e := Endpoint{Addr: "127.0.0.1:0"}
	ln, err := e.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeOn(ctx, e, ln, reg) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeOn: %v", err)
		}
	}()
	var body string
	testkit.Eventually(t, 30*time.Second, "GET /metrics", func() error {
		resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	if !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_") {
		t.Fatalf("the registry lacks the Go and process collectors:\n%s", body)
	}
}

func TestEndpointOffAndRefusals(t *testing.T) {
	for _, addr := range []string{"", "0"} {
		if err := Serve(context.Background(), Endpoint{Addr: addr}, NewRegistry()); err != nil {
			t.Errorf("Serve(%q) = %v, want nil (off)", addr, err)
		}
	}
	_, err := Endpoint{Addr: "0.0.0.0:0"}.Listen()
	if err == nil || !strings.Contains(err.Error(), "needs TLS and credentials") {
		t.Fatalf("a non-loopback endpoint without TLS: err = %v", err)
	}
}

// Beyond loopback every request passes the API server's own guard: no
// credentials 401, the admin token (or a person allowed to read) 200.
func TestEndpointGuardedBeyondLoopback(t *testing.T) {
	srv := &apiserver.Server{Token: "secret-token"}
	e := Endpoint{Addr: "0.0.0.0:7421", TLS: &tls.Config{}, Guard: srv.Guard}
	h := e.Handler(NewRegistry())
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Bearer secret-token", http.StatusOK},
	} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("Authorization %q: %d, want %d: %s", tc.auth, rec.Code, tc.want, rec.Body.String())
		}
	}
}

// Go's profiles are served on loopback only: beyond it the guard's
// metrics roles must not read them (404 even for the admin).
func TestEndpointProfilesOnLoopbackOnly(t *testing.T) {
	srv := &apiserver.Server{Token: "secret-token"}
	for _, tc := range []struct {
		e    Endpoint
		want int
	}{
		{Endpoint{Addr: "127.0.0.1:7421"}, http.StatusOK},
		{Endpoint{Addr: "0.0.0.0:7421", TLS: &tls.Config{}, Guard: srv.Guard}, http.StatusNotFound},
	} {
		req := httptest.NewRequest("GET", "/debug/pprof/heap", nil)
		req.Header.Set("Authorization", "Bearer secret-token")
		rec := httptest.NewRecorder()
		tc.e.Handler(NewRegistry()).ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s /debug/pprof/heap: %d, want %d", tc.e.Addr, rec.Code, tc.want)
		}
	}
}
