package apiserver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// TestHookBodyReadTimeout: a webhook whose body comes at one byte per
// second is cut off by the server's body-read timeout (shortened to 2 s
// here; 30 s by default) long before the body is complete.
func TestHookBodyReadTimeout(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sy := &hookSyncer{secrets: map[string]string{"apps": "s3cret"}, triggers: map[string]int{}}
	srv := &Server{Store: st, Syncer: sy, Token: "tok", Timeouts: httpserver.Timeouts{Read: 2 * time.Second}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, ln)

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const bodyLen = 60 // a minute at one byte per second
	fmt.Fprintf(conn, "POST /hooks/apps HTTP/1.1\r\nHost: x\r\nX-Gitlab-Token: s3cret\r\nContent-Length: %d\r\n\r\n", bodyLen)
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- "connection closed: " + err.Error()
			return
		}
		resp.Body.Close()
		answered <- resp.Status
	}()
	sent := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for sent < bodyLen {
		select {
		case how := <-answered:
			t.Logf("cut off after %d of %d body bytes: %s", sent, bodyLen, how)
			if sy.count("apps") != 0 {
				t.Errorf("a cut-off hook triggered a fetch")
			}
			return
		case <-tick.C:
			if _, err := conn.Write([]byte("x")); err != nil {
				t.Logf("cut off after %d of %d body bytes: write: %v", sent, bodyLen, err)
				return
			}
			sent++
		}
	}
	t.Fatalf("the server read a %d-byte body sent at one byte per second to its end: no body-read timeout", bodyLen)
}

// TestWatchOutlivesServerTimeouts: a watch stream keeps delivering events
// after the server's read and write timeouts have passed (it extends its
// deadlines per write), while those timeouts still apply elsewhere.
func TestWatchOutlivesServerTimeouts(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := &Server{Store: st, Timeouts: httpserver.Timeouts{Read: time.Second, Write: time.Second}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, ln)
	c := newClient("http://"+ln.Addr().String(), "")
	got := make(chan string, 10)
	go c.Watch(ctx, 0, "Pod", "", func(ev watchEvent) bool { got <- ev.Object.GetName(); return true })
	for i, name := range []string{"first", "after-the-timeouts"} {
		if i > 0 {
			time.Sleep(2500 * time.Millisecond) // beyond both server timeouts
		}
		p := pod(name, "n1")
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(p) }); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			if n != name {
				t.Fatalf("event for %s, want %s", n, name)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no watch event for %s: the stream ended", name)
		}
	}
}

type watchEvent = apiclient.WatchEvent

func newClient(server, token string) *apiclient.Client { return apiclient.New(server, token) }
