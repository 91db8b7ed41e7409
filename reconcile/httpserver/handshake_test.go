package httpserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// tlsPair is httptest's certificate (for 127.0.0.1) and a client config
// trusting it.
func tlsPair(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	defer ts.Close()
	client = ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	return &tls.Config{Certificates: ts.TLS.Certificates, ClientAuth: tls.RequestClientCert}, client
}

// Served through TLSListener, HTTP works as through tls.NewListener, many
// clients at once get through the bounded handshakes, and sessions resume.
func TestTLSListenerServesHandshakenConnections(t *testing.T) {
	scfg, ccfg := tlsPair(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := TLSListener(inner, scfg, HandshakeLimits{Concurrent: 2, Wait: time.Minute})
	srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.TLS != nil && r.TLS.HandshakeComplete)
	}), Timeouts{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln, time.Second) }()
	defer func() { cancel(); <-done }()
	url := "https://" + inner.Addr().String() + "/"
	ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: ccfg, DisableKeepAlives: true}}
	get := func() (*http.Response, string, error) {
		resp, err := client.Get(url)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, string(body), err
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, body, err := get(); err != nil || body != "true" {
				t.Errorf("GET over a bounded handshake: %q %v", body, err)
			}
		}()
	}
	wg.Wait()
	resp, _, err := get()
	if err != nil || !resp.TLS.DidResume {
		t.Errorf("a later connection did not resume its session: %v", err)
	}
}

// While every turn is taken, a new connection waits at most Wait and is
// then closed before the handshake's cryptography; once a turn is free,
// the next one succeeds.
func TestTLSListenerTurnsAwayAHandshakeThatWaitsTooLong(t *testing.T) {
	scfg, ccfg := tlsPair(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	var logMu sync.Mutex
	ln := TLSListener(inner, scfg, HandshakeLimits{Concurrent: 1, Wait: 200 * time.Millisecond, Timeout: time.Minute,
		Logf: func(f string, a ...any) { logMu.Lock(); fmt.Fprintf(&logged, f+"\n", a...); logMu.Unlock() }})
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	// The first client holds the only turn: the server asked for its
	// certificate and waits for it.
	release := make(chan struct{})
	holding := make(chan struct{})
	slow := ccfg.Clone()
	slow.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		close(holding)
		<-release
		return &tls.Certificate{}, nil
	}
	first := make(chan error, 1)
	go func() {
		c, err := tls.Dial("tcp", inner.Addr().String(), slow)
		if err == nil {
			c.Close()
		}
		first <- err
	}()
	<-holding
	if c, err := tls.Dial("tcp", inner.Addr().String(), ccfg); err == nil {
		c.Close()
		t.Fatal("a handshake got through while the only turn was taken")
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the handshake holding the turn: %v", err)
	}
	c, err := tls.Dial("tcp", inner.Addr().String(), ccfg)
	if err != nil {
		t.Fatalf("a handshake after the turn was given back: %v", err)
	}
	c.Close()
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logged.String(), "TLS handshake error") || !strings.Contains(logged.String(), "too many TLS handshakes") {
		t.Errorf("the turned-away handshake is not logged: %q", logged.String())
	}
}
