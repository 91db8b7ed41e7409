package join

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// A node's second connection resumes its TLS session (no full handshake)
// and is still authenticated as the node; after the pair changes (a
// renewal) the next connection makes a full handshake with the new one.
func TestNodeConnectionsResumeTheirSessionUntilTheCertificateChanges(t *testing.T) {
	c := startController(t, time.Hour)
	res, err := Join(context.Background(), options(c, c.token(t, time.Hour), t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := LoadCredentials(res.Path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A new connection per request, as after a dropped connection.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: creds.TLSConfig(), DisableKeepAlives: true}}
	get := func(what string) (resumed bool) {
		t.Helper()
		resp, err := client.Get(c.URL + "/api/v1/nodes/node-b")
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		resp.Body.Close()
		// 401 would be a connection without the node's identity; the node
		// is not registered, so the node's own answer is 404.
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %s, want 404 Not Found (the node authenticated, its Node absent)", what, resp.Status)
		}
		return resp.TLS.DidResume
	}
	if get("first connection") {
		t.Fatal("the first connection resumed a session it cannot have")
	}
	if !get("second connection") {
		t.Fatal("the second connection made a full handshake: no session resumption")
	}
	creds.mu.Lock()
	renewed := *creds.pair
	creds.pair = &renewed
	creds.mu.Unlock()
	if get("first connection after a renewal") {
		t.Fatal("a session made with the old certificate was resumed after the renewal")
	}
	if !get("second connection after a renewal") {
		t.Fatal("no resumption with the renewed certificate")
	}
}
