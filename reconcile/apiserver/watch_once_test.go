package apiserver

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// An agent's long poll (WaitPods) returns at its pod's change and keeps
// its connection: the server ends the stream after the event (?once=true)
// or before the client's deadline (timeoutSeconds), so the client reads
// the response to its end instead of cutting it, and the next polls reuse
// the one TLS connection.
func TestWaitPodsKeepsItsConnection(t *testing.T) {
	st := openStore(t)
	ca := newTestCA(t)
	hs := httptest.NewUnstartedServer((&Server{Store: st, Token: "admin-token"}).Handler())
	hs.TLS = &tls.Config{ClientCAs: ca.Pool(), ClientAuth: tls.VerifyClientCertIfGiven}
	var conns atomic.Int32
	hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	hs.StartTLS()
	t.Cleanup(hs.Close)
	cert, _ := ca.node(t, "a")
	tc := hs.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tc.Certificates = append(tc.Certificates, cert)
	cp := apiclient.ControlPlane{Client: apiclient.NewTLS(hs.URL, "", tc)}
	for i, name := range []string{"p1", "p2", "p3"} {
		rv := st.ResourceVersion()
		done := make(chan error, 1)
		go func() { done <- cp.WaitPods(context.Background(), "a", rv) }()
		time.Sleep(50 * time.Millisecond) // the poll is usually open; either way it returns at the change
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(pod(name, "a")) }); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("poll %d: %v", i, err)
			}
		case <-time.After(20 * time.Second): // the server's own end of a poll is at 29 s
			t.Fatalf("poll %d did not return at its pod's creation", i)
		}
	}
	// A poll that ends by the server's timeout (a second before the
	// client's deadline) keeps the connection too.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if err := cp.WaitPods(ctx, "a", st.ResourceVersion()); err != nil {
		t.Fatalf("a poll that timed out: %v", err)
	}
	if err := cp.WaitPods(context.Background(), "a", 0); err != nil { // from 0: returns at once
		t.Fatal(err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for five long polls, want 1", n)
	}
}
