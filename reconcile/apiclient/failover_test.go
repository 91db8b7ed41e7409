package apiclient_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// twoServers are two API servers over one store, as the servers of a
// control plane over one replicated store are: the same objects, the
// same resourceVersions.
func twoServers(t *testing.T) (*store.Store, *httptest.Server, *httptest.Server) {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	b := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	return st, a, b
}

func putConfigMap(t *testing.T, st *store.Store, name, v string) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string]string{"v": v}}
	objects.SetTypeMeta(cm, "ConfigMap")
	err := st.Update(func(tx *store.Tx) error {
		if old, err := tx.Get(objects.KeyOf(cm)); err == nil {
			cm.ResourceVersion = old.GetResourceVersion()
			return tx.Update(cm)
		}
		return tx.Create(cm)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestClientMovesToTheNextServer: with server A gone, every request goes
// to B, and the client stays there.
func TestClientMovesToTheNextServer(t *testing.T) {
	st, a, b := twoServers(t)
	putConfigMap(t, st, "one", "1")
	a.Close()
	c := apiclient.New(a.URL+","+b.URL, "")
	ctx := context.Background()
	items, _, err := c.List(ctx, "ConfigMap", "default", nil)
	if err != nil || len(items) != 1 {
		t.Fatalf("List through the second server = %d items, %v", len(items), err)
	}
	if c.Server() != b.URL {
		t.Fatalf("Server() = %s after A failed, want %s", c.Server(), b.URL)
	}
}

// TestClientWithNoServerSaysWhich: every server down: one error naming
// them all.
func TestClientWithNoServerSaysWhich(t *testing.T) {
	_, a, b := twoServers(t)
	a.Close()
	b.Close()
	_, _, err := apiclient.New(a.URL+","+b.URL, "").List(context.Background(), "ConfigMap", "", nil)
	if err == nil {
		t.Fatal("List with both servers down succeeded")
	}
	for _, u := range []string{a.URL, b.URL} {
		if !strings.Contains(err.Error(), u) {
			t.Fatalf("error %q does not name %s", err, u)
		}
	}
}

// TestPOSTIsNotRepeatedAfterItWasSent: a server that took the request and
// dropped the connection may have acted on it; a POST is not sent again
// (the caller decides), but the client moves on for the next request.
func TestPOSTIsNotRepeatedAfterItWasSent(t *testing.T) {
	_, _, b := twoServers(t)
	var mu sync.Mutex
	posts := 0
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(drop.Close)
	c := apiclient.New(drop.URL+","+b.URL, "")
	if err := c.Sync(context.Background(), ""); err == nil {
		t.Fatal("a POST whose connection dropped after sending reported success")
	}
	if posts != 1 {
		t.Fatalf("the dropping server saw %d POSTs, want 1", posts)
	}
	if c.Server() != b.URL {
		t.Fatalf("Server() = %s after a dropped connection, want %s", c.Server(), b.URL)
	}
}

// TestFollowResumesOnAnotherServer: a watch whose server goes away
// continues on the other from its last event: every change is handed
// over once, in order.
func TestFollowResumesOnAnotherServer(t *testing.T) {
	st, a, b := twoServers(t)
	c := apiclient.New(a.URL+","+b.URL, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var got []uint64
	done := make(chan error, 1)
	rv := st.ResourceVersion()
	go func() {
		done <- c.Follow(ctx, url.Values{"kind": {"ConfigMap"}}, rv, func(ev apiclient.WatchEvent) {
			mu.Lock()
			got = append(got, ev.ResourceVersion)
			mu.Unlock()
		})
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	for i := range 5 {
		putConfigMap(t, st, fmt.Sprintf("cm-%d", i), "1")
	}
	testkit.Eventually(t, 30*time.Second, "5 events through server A", func() error { return want(count(), 5) })
	a.CloseClientConnections()
	a.Close()
	for i := range 5 {
		putConfigMap(t, st, fmt.Sprintf("cm-%d", i), "2") // while the stream moves
	}
	testkit.Eventually(t, 30*time.Second, "10 events after server A went away", func() error { return want(count(), 10) })
	time.Sleep(200 * time.Millisecond) // a repeated event would arrive now
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 10 {
		t.Fatalf("handed over %d events, want 10 (none missed or repeated): %v", len(got), got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("resourceVersions out of order or repeated: %v", got)
		}
	}
	if c.Server() != b.URL {
		t.Fatalf("the watch did not move to %s", b.URL)
	}
}

// TestDialerTriesEveryAddressOfAName: one name for several servers; the
// address that does not answer is skipped, and the one that answered is
// tried first next time.
func TestDialerTriesEveryAddressOfAName(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	}
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
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	lookups := 0
	conn, addr, err := apiclient.DialForTest(context.Background(), "servers.test:"+port, func(context.Context, string) ([]string, error) {
		lookups++
		return []string{"127.0.0.1", "127.0.0.2"}, nil // nothing listens on 127.0.0.1:port
	})
	if err != nil {
		t.Fatalf("dial of a name whose second address answers: %v", err)
	}
	conn.Close()
	if addr != "127.0.0.2" {
		t.Fatalf("preferred address after the dial = %q, want 127.0.0.2", addr)
	}
}

func want(got, n int) error {
	if got < n {
		return fmt.Errorf("%d events so far, want %d", got, n)
	}
	return nil
}
