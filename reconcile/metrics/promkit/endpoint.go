package promkit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
)

// Endpoint is where and how a registry's /metrics is served.
type Endpoint struct {
	// Addr is the listen address; "" or "0" turns the endpoint off.
	Addr string
	// TLS and Guard are required when Addr is not loopback: the endpoint
	// is then HTTPS and every request passes Guard (authentication and
	// authorization). On loopback they are not used: plain HTTP, no
	// credentials, as controller-runtime's default metrics endpoint.
	TLS   *tls.Config
	Guard func(http.Handler) http.Handler
	// Flag names the setting in errors (--metrics-listen).
	Flag string
	Log  *slog.Logger
}

// Off reports whether the endpoint is turned off.
func (e Endpoint) Off() bool { return e.Addr == "" || e.Addr == "0" }

// Secure reports whether the endpoint needs TLS and the guard.
func (e Endpoint) Secure() bool { return !httpserver.IsLoopback(e.Addr) }

// Listen checks the settings and opens the address (nil, nil when off).
func (e Endpoint) Listen() (net.Listener, error) {
	if e.Off() {
		return nil, nil
	}
	if e.Secure() && (e.TLS == nil || e.Guard == nil) {
		return nil, fmt.Errorf("%s %s: beyond loopback the metrics endpoint needs TLS and credentials, and none are configured here; listen on 127.0.0.1:PORT, or give this process the cluster's certificates", e.flag(), e.Addr)
	}
	ln, err := net.Listen("tcp", e.Addr)
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint: listen on %s: %w (is another reconcile running here? pick another %s, or \"\" to turn it off)", e.Addr, err, e.flag())
	}
	return ln, nil
}

func (e Endpoint) flag() string {
	if e.Flag != "" {
		return e.Flag
	}
	return "--metrics-listen"
}

// Handler serves reg's metrics at /metrics (text or OpenMetrics, gzip when
// asked), guarded when the endpoint is secure.
func (e Endpoint) Handler(reg *prometheus.Registry) http.Handler {
	log := e.Log
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError), ErrorHandling: promhttp.ContinueOnError,
		Registry: reg, EnableOpenMetrics: true, Timeout: 30 * time.Second}))
	var h http.Handler = mux
	if e.Secure() {
		h = e.Guard(mux)
	} else {
		servePprof(mux)
	}
	return h
}

// Serve serves reg on e until ctx ends; it returns nil at once when the
// endpoint is off. Listen errors are returned before anything is served.
func Serve(ctx context.Context, e Endpoint, reg *prometheus.Registry) error {
	ln, err := e.Listen()
	if err != nil || ln == nil {
		return err
	}
	return ServeOn(ctx, e, ln, reg)
}

// ServeOn is Serve on a listener from e.Listen.
func ServeOn(ctx context.Context, e Endpoint, ln net.Listener, reg *prometheus.Registry) error {
	if e.Secure() {
		ln = tls.NewListener(ln, e.TLS)
	}
	if e.Log != nil {
		scheme := "http"
		if e.Secure() {
			scheme = "https"
		}
		e.Log.Info("serving metrics", "url", scheme+"://"+ln.Addr().String()+"/metrics")
	}
	err := httpserver.Serve(ctx, httpserver.New(e.Handler(reg), httpserver.Timeouts{}), ln, 2*time.Second)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// servePprof adds Go's profiles at /debug/pprof/ (heap, goroutine, CPU
// profile...), as Kubernetes' components serve them with --profiling: how
// the process's memory was measured (BENCHMARKS.md, issue 13: memory;
// go tool pprof http://127.0.0.1:7421/debug/pprof/heap). Only on loopback,
// where reading needs access to the machine already: beyond it the
// metrics roles could read stacks and symbols they have no use for.
func servePprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
