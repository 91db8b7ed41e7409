package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the ingress proxy: an http.Handler routing by the current
// Table, and the TLS configuration choosing certificates by SNI. The table
// is swapped whole (Swap); a request keeps the backend it matched, and no
// connection is closed by a swap.
type Server struct {
	// Log receives one access log line per request (combined log format
	// plus the host, the Ingress, the upstream and the duration) and the
	// proxy's errors. Nil: slog.Default().
	Log *slog.Logger
	// DialTimeout bounds a connection to an endpoint (default 5 s, as
	// nginx's proxy_connect_timeout); on failure another endpoint is tried.
	DialTimeout time.Duration

	table       atomic.Pointer[Table]
	defaultCert *tls.Certificate
	proxy       *httputil.ReverseProxy
	transports  sync.Map // read timeout → *http.Transport
}

// NewServer makes a proxy with an empty table (every request 404) and a
// fresh self-signed default certificate.
func NewServer(log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	c, err := defaultCertificate()
	if err != nil {
		return nil, fmt.Errorf("ingress default certificate: %w", err)
	}
	s := &Server{Log: log, defaultCert: c}
	s.table.Store(Build(Snapshot{}))
	s.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The endpoint is chosen by the transport (retries pick
			// another); the Host header stays the client's, as nginx's
			// proxy_set_header Host $host.
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "endpoint"
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			// ingress-nginx's further headers: the client's address and
			// the port the request came in on.
			if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
				pr.Out.Header.Set("X-Real-IP", ip)
			}
			if a, ok := pr.In.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
				if _, port, err := net.SplitHostPort(a.String()); err == nil {
					pr.Out.Header.Set("X-Forwarded-Port", port)
				}
			}
		},
		Transport:    retryTransport{s},
		BufferPool:   bufferPool{},
		ErrorHandler: s.proxyError,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Swap makes t the routing table of every request from now on.
func (s *Server) Swap(t *Table) { s.table.Store(t) }

// Table is the current routing table.
func (s *Server) Table() *Table { return s.table.Load() }

// TLSConfig serves the certificate of the Ingress TLS host the client
// names (SNI), else the default certificate; h2 and http/1.1 by ALPN.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := s.table.Load().Certificate(hello.ServerName); c != nil {
				return c, nil
			}
			return s.defaultCert, nil
		},
	}
}

type ctxKey struct{}

// routed is what ServeHTTP hands the transport through the context.
type routed struct {
	backend  *Backend
	upstream string // the endpoint that answered (for the access log)
}

// ServeHTTP routes one request: 404 without a backend (as ingress-nginx's
// default backend), 413 over the Ingress's body size, 503 without ready
// endpoints, else the reverse proxy.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	rt := &routed{backend: s.table.Load().Match(r.Host, r.URL.Path)}
	defer func() { s.accessLog(r, rec, rt, time.Since(start)) }()
	be := rt.backend
	switch {
	case be == nil:
		http.Error(rec, "default backend - 404", http.StatusNotFound)
		return
	case be.MaxBodyBytes > 0 && r.ContentLength > be.MaxBodyBytes:
		http.Error(rec, "413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return
	case len(be.Addrs) == 0:
		http.Error(rec, "503 Service Temporarily Unavailable: no ready endpoints for "+be.Service, http.StatusServiceUnavailable)
		return
	}
	if be.MaxBodyBytes > 0 && r.Body != nil {
		r.Body = http.MaxBytesReader(rec, r.Body, be.MaxBodyBytes)
	}
	s.proxy.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rt)))
}

func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, "413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		http.Error(w, "504 Gateway Time-out", http.StatusGatewayTimeout)
	case errors.Is(err, context.Canceled):
		w.WriteHeader(499) // nginx's "client closed request"
	default:
		s.Log.Warn("ingress: upstream error", "host", r.Host, "path", r.URL.Path, "err", err)
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
