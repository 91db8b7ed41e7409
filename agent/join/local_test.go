package join

import (
	"context"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
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
