package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		code   int
		header string
		want   time.Duration
		ok     bool
	}{
		{429, "1", time.Second, true},
		{429, " 3 ", 3 * time.Second, true},
		{429, "", 0, false},              // an eviction refused by a budget: no retry
		{429, "soon", 0, false},          // not seconds
		{429, "3600", time.Minute, true}, // capped
		{503, "1", 0, false},
		{200, "1", 0, false},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.code, Header: http.Header{}}
		if tt.header != "" {
			resp.Header.Set("Retry-After", tt.header)
		}
		if got, ok := retryAfter(resp); got != tt.want || ok != tt.ok {
			t.Errorf("%d Retry-After %q: %s %v, want %s %v", tt.code, tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestJittered(t *testing.T) {
	if got := jittered(time.Second, 0); got != time.Second {
		t.Errorf("no jitter: %s", got)
	}
	if got := jittered(time.Second, 0.5); got != 1500*time.Millisecond {
		t.Errorf("half: %s", got)
	}
	if got := jittered(0, 0); got <= 0 {
		t.Errorf("a zero wait must still wait: %s", got)
	}
}

// A request shed with 429 and Retry-After is sent again; a 429 without
// it is returned at once as the TooManyRequests error it is.
func TestDoRetriesShedRequests(t *testing.T) {
	var calls atomic.Int32
	shed := true
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case shed && n == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429,"message":"too many requests"}`))
		case !shed:
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429,"message":"budget"}`))
		default:
			w.Write([]byte(`{}`))
		}
	}))
	defer hs.Close()
	c := New(hs.URL, "")
	if err := c.do(context.Background(), http.MethodPost, "/x", nil, map[string]string{"a": "b"}, nil); err != nil || calls.Load() != 2 {
		t.Fatalf("shed once: err %v after %d calls, want success after 2", err, calls.Load())
	}
	shed = false
	calls.Store(0)
	err := c.do(context.Background(), http.MethodPost, "/x", nil, nil, nil)
	if !apierrors.Is(err, apierrors.ReasonTooManyRequests) || calls.Load() != 1 {
		t.Fatalf("429 without Retry-After: %v after %d calls, want the error after 1", err, calls.Load())
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal("unexpected cancel")
	}
}
