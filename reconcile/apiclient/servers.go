package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// servers are the API servers a Client may use, in order. The client uses
// the current one until a connection error moves it to the next: with
// several controllers (issue "a control plane that survives losing a
// machine") every server answers the whole API from the same replicated
// store, so any of them will do, and resourceVersions are the same on all
// of them (a watch resumes on another server from its last one).
type servers struct {
	urls []string
	cur  atomic.Uint32
}

// ParseServers splits a server list as the CLI and configs give it
// (comma-separated URLs; an address without a scheme is https://) into
// normalised URLs without duplicates; "" is the default server.
func ParseServers(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" && len(out) > 0 {
			continue
		}
		u := NormalizeServer(part)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		out = []string{DefaultServer}
	}
	return out
}

func newServers(s string) *servers { return &servers{urls: ParseServers(s)} }

// current is the server to use now and its index (for failed).
func (s *servers) current() (int, string) {
	i := int(s.cur.Load()) % len(s.urls)
	return i, s.urls[i]
}

// failed moves on from server i unless another request already did.
func (s *servers) failed(i int) {
	if len(s.urls) > 1 {
		s.cur.CompareAndSwap(uint32(i), uint32((i+1)%len(s.urls)))
	}
}

// list is the servers joined for messages.
func (s *servers) list() string { return strings.Join(s.urls, ", ") }

// failoverable reports whether err means the server could not take the
// request at all, so that another may be tried: nothing listening, the
// connection reset or refused, a dial or TLS handshake timeout. A
// certificate the CA did not sign is not: another server of the same
// cluster would not do better, and the message must say so.
func failoverable(err error) bool {
	var op *net.OpError
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &op) && op.Op == "dial":
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && strings.Contains(err.Error(), "handshake")
}

// sent reports whether err may have come after the request reached the
// server (a reset or EOF while waiting for the answer); a failed dial or
// refused connection means it never did.
func sent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return !errors.Is(err, syscall.ECONNREFUSED)
}

// retryable reports whether a request with this method may be sent again
// to another server after err: always when it never reached the first;
// otherwise only when repeating it changes nothing (reads, and the
// agent's PUTs and DELETEs, which carry the whole new state or a uid).
func retryable(method string, err error) bool {
	if !sent(err) {
		return true
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// dialTimeout bounds one connection attempt: a server whose machine is
// gone answers nothing, and the next one should be tried within seconds
// (Go's default is 30 s).
const dialTimeout = 3 * time.Second

// dialer connects to a host name with several addresses (one DNS name for
// all servers) one address at a time, starting with the last that
// answered, so a dead address costs one dial timeout once, not on every
// request. Go's own dialer would try them in the resolver's order on
// every connection.
type dialer struct {
	net.Dialer
	lookup func(ctx context.Context, host string) ([]string, error)
	mu     sync.Mutex
	good   map[string]string // host → the address that last answered
}

func newDialer() *dialer {
	return &dialer{Dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second},
		lookup: net.DefaultResolver.LookupHost, good: map[string]string{}}
}

// DialContext is the transport's dial function.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) != nil {
		return d.Dialer.DialContext(ctx, network, addr)
	}
	ips, err := d.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	first := d.good[host]
	d.mu.Unlock()
	ordered := make([]string, 0, len(ips))
	if first != "" {
		ordered = append(ordered, first)
	}
	for _, ip := range ips {
		if ip != first {
			ordered = append(ordered, ip)
		}
	}
	var errs []error
	for _, ip := range ordered {
		c, err := d.Dialer.DialContext(ctx, network, net.JoinHostPort(ip, port))
		if err == nil {
			d.mu.Lock()
			d.good[host] = ip
			d.mu.Unlock()
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("dial %s: %s has no address", addr, host)
	}
	return nil, errors.Join(errs...)
}
