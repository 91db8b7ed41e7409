package httpserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewSetsEveryTimeout(t *testing.T) {
	srv := New(http.NotFoundHandler(), Timeouts{Read: 3 * time.Second})
	if srv.ReadHeaderTimeout != Defaults.ReadHeader || srv.ReadTimeout != 3*time.Second || srv.WriteTimeout != Defaults.Write || srv.IdleTimeout != Defaults.Idle {
		t.Errorf("timeouts %v %v %v %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	for _, d := range []time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout} {
		if d <= 0 {
			t.Errorf("a timeout is off: %v", d)
		}
	}
}

func TestRecoverPanicAnswersAndLogs(t *testing.T) {
	var logs bytes.Buffer
	h := Recover(slog.New(slog.NewTextHandler(&logs, nil)), func(w http.ResponseWriter, r *http.Request, v any) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom " + strings.Repeat("x", 500)) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/x/y?token=hidden", nil))
	if rec.Code != 500 {
		t.Errorf("code %d", rec.Code)
	}
	log := logs.String()
	if !strings.Contains(log, "POST") || !strings.Contains(log, "/x/y") || !strings.Contains(log, "boom") || strings.Contains(log, "hidden") {
		t.Errorf("log: %s", log)
	}
	if strings.Contains(log, strings.Repeat("x", 300)) {
		t.Errorf("the panic value is not clipped")
	}

	abort := Recover(nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler was not re-raised: %v", v)
		}
	}()
	abort.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
