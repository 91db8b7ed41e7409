package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Source is where the agent reads what the routing table is built from:
// apiclient.IngressSource over the controller's API, or a fixed snapshot
// in tests.
type Source interface {
	// Snapshot returns the current Ingresses, IngressClasses, Services,
	// Endpoints and the TLS Secrets the served Ingresses name, and a
	// version to Wait from.
	Snapshot(ctx context.Context) (Snapshot, uint64, error)
	// Wait returns when something may have changed after version, or
	// after a bounded time (a long poll); an error only when the source
	// cannot be reached.
	Wait(ctx context.Context, after uint64) error
}

// Follow builds a table from every new snapshot of src and swaps it into
// the server, until ctx ends. onSwap, when set, is called after each swap
// (benchmarks time changes with it). Warnings are logged when they change.
func (s *Server) Follow(ctx context.Context, src Source, onSwap func(*Table)) {
	backoff := wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 1 << 30, Cap: 30 * time.Second}
	var lastWarnings []string
	for ctx.Err() == nil {
		snap, version, err := src.Snapshot(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Error("ingress: reading Ingresses from the controller (the proxy keeps its last routing table)", "err", err)
				sleep(ctx, backoff.Step())
			}
			continue
		}
		backoff.Duration, backoff.Steps = time.Second, 1<<30
		t := Build(snap)
		s.Swap(t)
		if onSwap != nil {
			onSwap(t)
		}
		if !slices.Equal(t.Warnings, lastWarnings) {
			for _, w := range t.Warnings {
				s.Log.Warn("ingress: " + w)
			}
			lastWarnings = t.Warnings
		}
		if err := src.Wait(ctx, version); err != nil && ctx.Err() == nil {
			sleep(ctx, backoff.Step())
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Listen serves plain HTTP on httpPort and HTTPS (HTTP/2 by ALPN) on
// httpsPort of every address of the node, until ctx ends; a port of 0 is
// not served. A port that is taken is retried every 10 s (logged once),
// so the agent runs on while another process holds it. It returns when
// ctx ends and both servers have shut down (in-flight requests get 5 s).
func (s *Server) Listen(ctx context.Context, httpPort, httpsPort int) {
	done := make(chan struct{}, 2)
	serve := func(port int, withTLS bool) {
		defer func() { done <- struct{}{} }()
		if port == 0 {
			return
		}
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
			ErrorLog: slog.NewLogLogger(s.Log.Handler(), slog.LevelDebug)}
		if withTLS {
			srv.TLSConfig = s.TLSConfig()
		}
		addr := ":" + strconv.Itoa(port)
		var ln net.Listener
		for warned := false; ; warned = true {
			var err error
			if ln, err = (&net.ListenConfig{}).Listen(ctx, "tcp", addr); err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			if !warned {
				s.Log.Error(fmt.Sprintf("ingress: cannot listen on %s (retrying every 10s): free the port or pass --ingress-http-port/--ingress-https-port (0 disables)", addr), "err", err)
			}
			sleep(ctx, 10*time.Second)
			if ctx.Err() != nil {
				return
			}
		}
		s.Log.Info("ingress proxy listening", "addr", ln.Addr().String(), "tls", withTLS)
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		var err error
		if withTLS {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Log.Error("ingress proxy stopped", "addr", addr, "err", err)
		}
	}
	go serve(httpPort, false)
	go serve(httpsPort, true)
	<-done
	<-done
}
