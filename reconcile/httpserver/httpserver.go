package httpserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Timeouts of a server (http.Server's fields of the same names).
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers.
	ReadHeader time.Duration
	// Read bounds reading the whole request, body included: a body sent
	// at one byte per second is cut off here.
	Read time.Duration
	// Write bounds writing the answer (from the end of the headers' read);
	// streaming routes extend it per write (Extend).
	Write time.Duration
	// Idle bounds a keep-alive connection between requests.
	Idle time.Duration
}

// Defaults are the timeouts of every server unless a test shortens them.
// Write is generous: a rollback answers once its commit is applied.
var Defaults = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 2 * time.Minute, Idle: 2 * time.Minute}

// orDefaults fills zero fields from Defaults.
func (t Timeouts) orDefaults() Timeouts {
	if t.ReadHeader == 0 {
		t.ReadHeader = Defaults.ReadHeader
	}
	if t.Read == 0 {
		t.Read = Defaults.Read
	}
	if t.Write == 0 {
		t.Write = Defaults.Write
	}
	if t.Idle == 0 {
		t.Idle = Defaults.Idle
	}
	return t
}

// New returns a server for h with the timeouts t (zero fields: Defaults).
func New(h http.Handler, t Timeouts) *http.Server {
	t = t.orDefaults()
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// Serve serves srv on ln until ctx ends, then shuts down: gracefully for up
// to grace (streams are told to end by their request contexts), then closes.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// StreamWriteTimeout bounds one write of a stream (an event, a chunk of
// log): a client that stops reading is cut off after it.
const StreamWriteTimeout = time.Minute

// Stream marks a request as long-lived: it lifts the read deadline (the
// request has been read; the server's background read would otherwise end
// the stream when it expires) and extends the write deadline. Call it once
// before streaming, and Extend before each later write.
func Stream(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{}) // not supported (a test recorder): nothing to lift
	Extend(w)
}

// Extend moves the write deadline of a stream StreamWriteTimeout ahead.
func Extend(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(StreamWriteTimeout))
}

// IsLoopback reports whether a listen address only accepts local traffic:
// a loopback IP or "localhost" (servers that answer without credentials on
// loopback and require them beyond: the API's plain-HTTP test mode, the
// metrics endpoints).
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
