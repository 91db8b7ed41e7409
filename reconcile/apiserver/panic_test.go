package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestAPIHandlerPanicIsIsolated: a handler that panics answers 500 with a
// Status body, the log names the method, path and stack but not the query,
// and the next request is served.
func TestAPIHandlerPanicIsIsolated(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs bytes.Buffer
	srv := &Server{Store: st, Token: "tok", Log: slog.New(slog.NewTextHandler(&logs, nil)),
		testRoutes: func(mux *http.ServeMux) {
			mux.HandleFunc("GET /api/v1/boom", func(w http.ResponseWriter, r *http.Request) {
				var m map[string]int
				m["nil map"]++ // a real runtime panic
			})
		}}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	req, _ := http.NewRequest("GET", hs.URL+"/api/v1/boom?reveal=secret-canary", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the panicking request got no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var status apierrors.Status
	if err := json.Unmarshal(body, &status); err != nil || resp.StatusCode != 500 || status.Kind != "Status" || status.Reason != apierrors.ReasonInternalError {
		t.Errorf("panic answer %d %s (%v)", resp.StatusCode, body, err)
	}
	for _, want := range []string{"GET", "/api/v1/boom", "panic", "goroutine"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "secret-canary") || strings.Contains(string(body), "secret-canary") {
		t.Errorf("the query leaked into the log or answer")
	}

	// The server still serves.
	c := apiclient.New(hs.URL, "tok")
	if _, _, err := c.List(context.Background(), "Pod", "", nil); err != nil {
		t.Fatalf("after the panic: %v", err)
	}
	if _, err := c.Get(context.Background(), objects.Key{Kind: "Pod", Namespace: "default", Name: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing pod over HTTP: %v, want store.ErrNotFound", err)
	}
}
