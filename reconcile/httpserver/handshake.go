package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"time"
)

// HandshakeLimits bound a TLS listener's handshakes (TLSListener).
type HandshakeLimits struct {
	// Concurrent is how many handshakes are under way at once (default
	// 64: a turn is held over the client's round trip too, so a few dozen
	// keep the CPU busy across a WAN); the others wait for a turn.
	Concurrent int
	// Wait is how long a handshake may wait for its turn (default 5 s)
	// before its connection is closed without the cryptography: its
	// client retries later (agents back off with jitter) instead of the
	// server working for a client that has given up (Go's clients give a
	// handshake 10 s).
	Wait time.Duration
	// Timeout bounds a whole handshake (default 10 s, as http.Server's).
	Timeout time.Duration
	// Logf reports a failed handshake as http.Server does ("http: TLS
	// handshake error from ADDR: ERR"); log.Printf when nil.
	Logf func(format string, args ...any)
}

// TLSListener is tls.NewListener whose connections are handshaken before
// Accept returns them, at most Concurrent at a time. Without a bound, a
// storm of new connections (thousands of nodes joining or reconnecting
// at once) shares the CPU between every handshake in progress, so that
// all of them finish late, past their clients' timeouts, together: the
// clients reconnect, and the storm feeds itself (41,683 abandoned
// handshakes with 5,000 simulated nodes; BENCHMARKS.md, issue 13: 150,000
// pods). Bounded, the handshakes finish in order at the CPU's pace and
// the rest wait their turn or are turned away cheaply, as kube-apiserver's
// max-in-flight turns requests away with 429. The ClientHello is read by
// each connection's own goroutine (a slow client holds no turn); the turn
// is taken when the cryptography starts (GetConfigForClient) and given
// back when the handshake ends. Resumed sessions take a turn too: they
// are cheap and end quickly.
func TLSListener(inner net.Listener, cfg *tls.Config, lim HandshakeLimits) net.Listener {
	if lim.Concurrent <= 0 {
		lim.Concurrent = 64
	}
	if lim.Wait <= 0 {
		lim.Wait = 5 * time.Second
	}
	if lim.Timeout <= 0 {
		lim.Timeout = 10 * time.Second
	}
	if lim.Logf == nil {
		lim.Logf = log.Printf
	}
	l := &handshakeListener{Listener: inner, lim: lim, turns: make(chan struct{}, lim.Concurrent),
		ready: make(chan net.Conn), done: make(chan struct{}), held: map[net.Conn]bool{}}
	l.cfg = cfg.Clone()
	base := cfg.GetConfigForClient
	l.cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if err := l.takeTurn(hello.Context(), hello.Conn); err != nil {
			return nil, err
		}
		if base != nil {
			return base(hello)
		}
		return nil, nil
	}
	go l.acceptLoop()
	return l
}

type handshakeListener struct {
	net.Listener
	cfg   *tls.Config
	lim   HandshakeLimits
	turns chan struct{}
	ready chan net.Conn
	done  chan struct{}
	once  sync.Once

	mu   sync.Mutex
	held map[net.Conn]bool // raw connections holding a turn
	err  error             // the inner listener's error, for Accept
}

var errNoTurn = errors.New("too many TLS handshakes in progress: connection closed before the handshake; retry later")

// takeTurn waits for a turn for c, at most lim.Wait.
func (l *handshakeListener) takeTurn(ctx context.Context, c net.Conn) error {
	t := time.NewTimer(l.lim.Wait)
	defer t.Stop()
	select {
	case l.turns <- struct{}{}:
		l.mu.Lock()
		l.held[c] = true
		l.mu.Unlock()
		return nil
	case <-t.C:
		return errNoTurn
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return net.ErrClosed
	}
}

// giveBack returns c's turn, if it took one.
func (l *handshakeListener) giveBack(c net.Conn) {
	l.mu.Lock()
	held := l.held[c]
	delete(l.held, c)
	l.mu.Unlock()
	if held {
		<-l.turns
	}
}

func (l *handshakeListener) acceptLoop() {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// EMFILE and the like: back off as http.Server does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(delay):
					continue
				case <-l.done:
					return
				}
			}
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			l.Close()
			return
		}
		delay = 0
		go l.handshake(c)
	}
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

// handshake runs c's handshake and hands the connection to Accept.
func (l *handshakeListener) handshake(c net.Conn) {
	tc := tls.Server(c, l.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), l.lim.Timeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	l.giveBack(c)
	if err != nil {
		var re tls.RecordHeaderError
		if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader) {
			// What http.Server answers to plain HTTP on its TLS port.
			io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
			re.Conn.Close()
			return
		}
		l.lim.Logf("http: TLS handshake error from %s: %v", c.RemoteAddr(), err)
		tc.Close()
		return
	}
	select {
	case l.ready <- tc:
	case <-l.done:
		tc.Close()
	}
}

// Accept returns the next handshaken connection.
func (l *handshakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting; handshakes in progress end with their connection.
func (l *handshakeListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.Listener.Close()
	})
	return err
}

// looksLikeHTTP is net/http's check of the first five bytes of a
// connection to a TLS port.
func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}
