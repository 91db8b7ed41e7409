package ingress

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// bufferPool lends the reverse proxy its 32 KiB copy buffers, which it
// would otherwise allocate per request.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

func (bufferPool) Get() []byte  { return buffers.Get().(*[32 << 10]byte)[:] }
func (bufferPool) Put(b []byte) { buffers.Put((*[32 << 10]byte)(b)) }

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
