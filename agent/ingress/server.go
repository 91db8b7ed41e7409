package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
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

// bufferPool lends the reverse proxy its 32 KiB copy buffers, which it
// would otherwise allocate per request.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

func (bufferPool) Get() []byte  { return buffers.Get().(*[32 << 10]byte)[:] }
func (bufferPool) Put(b []byte) { buffers.Put((*[32 << 10]byte)(b)) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryTransport sends the request to the backend's next endpoint and, on
// a connection error (nothing was sent), to the following ones, at most
// once per endpoint.
type retryTransport struct{ s *Server }

func (t retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt, _ := req.Context().Value(ctxKey{}).(*routed)
	if rt == nil {
		return nil, errors.New("ingress: request without a route")
	}
	base := t.s.transport(rt.backend.ReadTimeout)
	body := &onceBody{rc: req.Body}
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = body
	}
	defer body.close()
	var err error
	for attempt := range min(len(rt.backend.Addrs), 3) {
		out := req.Clone(req.Context())
		out.URL.Host = rt.backend.Pick(attempt)
		rt.upstream = out.URL.Host
		var resp *http.Response
		resp, err = base.RoundTrip(out)
		if err == nil || !isDialError(err) || body.read.Load() {
			return resp, err
		}
	}
	return nil, err
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// onceBody lets a request body survive a failed dial: the transport closes
// the body it is given even when it could not connect, so it gets this
// wrapper, and the real body is closed once the request is done.
type onceBody struct {
	rc   io.ReadCloser
	read atomic.Bool
}

func (b *onceBody) Read(p []byte) (int, error) { b.read.Store(true); return b.rc.Read(p) }
func (b *onceBody) Close() error               { return nil }
func (b *onceBody) close() {
	if b.rc != nil {
		b.rc.Close()
	}
}

// transport is the shared upstream transport for a read timeout (one per
// distinct value, so connections are pooled across requests and tables).
func (s *Server) transport(readTimeout time.Duration) *http.Transport {
	if t, ok := s.transports.Load(readTimeout); ok {
		return t.(*http.Transport)
	}
	d := &net.Dialer{Timeout: cmpOr(s.DialTimeout, 5*time.Second), KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext:           d.DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       60 * time.Second,
		ResponseHeaderTimeout: readTimeout,
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
	}
	actual, _ := s.transports.LoadOrStore(readTimeout, t)
	return actual.(*http.Transport)
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// recorder keeps the status and size for the access log; Unwrap lets
// http.ResponseController (the reverse proxy's flushes and the WebSocket
// hijack) reach the real writer.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader && code >= 200 {
		r.status, r.wroteHeader = code, true
	}
	if code == http.StatusSwitchingProtocols {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one line in the combined log format, followed by what
// ingress-nginx's upstreaminfo format adds: the host, the Ingress, the
// upstream address and the request time.
func (s *Server) accessLog(r *http.Request, rec *recorder, rt *routed, d time.Duration) {
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	ing, upstream := "-", "-"
	if rt.backend != nil {
		ing = rt.backend.Ingress
	}
	if rt.upstream != "" {
		upstream = rt.upstream
	}
	line := fmt.Sprintf("%s - - [%s] %q %d %d %q %q host=%s ingress=%s upstream=%s request_time=%.3f",
		client, time.Now().Format("02/Jan/2006:15:04:05 -0700"), r.Method+" "+r.URL.RequestURI()+" "+r.Proto,
		rec.status, rec.bytes, r.Referer(), r.UserAgent(), strings.ToLower(r.Host), ing, upstream, d.Seconds())
	s.Log.Info(line)
}
