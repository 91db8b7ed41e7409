package join

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// TestJoinLocalLeavesNoToken: `reconcile up`'s own agent joins with a
// token made for it, which is gone afterwards, and its certificate is
// recorded for the node (so node delete can revoke it).
func TestJoinLocalLeavesNoToken(t *testing.T) {
	c := startController(t, 0)
	o := Options{Server: c.URL, Node: "local", Addresses: []string{"127.0.0.1"}, DataDir: t.TempDir()}
	res, err := JoinLocal(context.Background(), c.Issuer, o)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := c.Issuer.ListTokens()
	if err != nil || len(toks) != 0 {
		t.Fatalf("tokens left: %v %v", toks, err)
	}
	cfg, err := clientconfig.Load(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCert([]byte(cfg.ClientCertificate))
	if err != nil || pki.NodeName(cert.Subject) != "local" {
		t.Fatalf("certificate %v %v", cert, err)
	}
	rec, err := c.Issuer.NodeRecord("local")
	if err != nil || rec == nil {
		t.Fatalf("no record of the node's certificate: %v %v", rec, err)
	}
	again, err := JoinLocal(context.Background(), c.Issuer, o)
	if err != nil || !again.Reused {
		t.Fatalf("second start: %+v %v, want the credentials reused", again, err)
	}
}

// TestJoinWaitsForTheController: a host that runs join before its
// controller listens keeps trying and joins once it does.
func TestJoinWaitsForTheController(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there until the join has been refused a connection
	c := newController(t, 0)
	var logs testkit.SyncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := JoinLocal(context.Background(), c.Issuer, Options{Server: "https://" + addr, Node: "late",
			Addresses: []string{"127.0.0.1"}, DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(&logs, nil))})
		done <- err
	}()
	if err := testkit.Poll(10*time.Second, func() error {
		if !strings.Contains(logs.String(), "cannot be reached yet") {
			return errors.New("no retry logged yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.serve(t, addr)
	if err := <-done; err != nil {
		t.Fatalf("join once the controller listens: %v", err)
	}
}
