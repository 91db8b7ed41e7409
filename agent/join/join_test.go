package join

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/clusterid"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// controller is a real API server on real TLS (the cluster CA's serving
// certificate sent as [leaf, CA], client certificates verified when
// given) over a real in-memory store.
type controller struct {
	URL    string
	Issuer *nodecreds.Issuer
	Server *apiserver.Server
	CA     *pki.CA
}

func startController(t *testing.T, lifetime time.Duration) *controller {
	t.Helper()
	c := newController(t, lifetime)
	c.serve(t, "127.0.0.1:0")
	return c
}

// newController makes the controller's store, PKI and API server without
// serving them yet (serve).
func newController(t *testing.T, lifetime time.Duration) *controller {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Update(func(tx *store.Tx) error { return tx.PutMeta(clusterid.MetaKey, "c0ffee") }); err != nil {
		t.Fatal(err)
	}
	// The controller's real PKI: the CA in DATA/pki and the API's TLS
	// (the rotating serving pair sent as [leaf, CA]).
	p, err := credentials.OpenControllerPKI(t.TempDir(), "127.0.0.1:7420", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ca := p.CA
	is, err := nodecreds.New(nodecreds.Options{Store: st, CA: ca, Lifetime: lifetime})
	if err != nil {
		t.Fatal(err)
	}
	srv := &apiserver.Server{Store: st, Token: "admin-token", Credentials: is, Revoked: is.Revoked, TLS: p.APIServerTLS()}
	is.OnRevoke(srv.CloseNode)
	return &controller{Issuer: is, Server: srv, CA: ca}
}

// serve serves the API on addr and sets c.URL.
func (c *controller) serve(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Server.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c.URL = "https://" + ln.Addr().String()
}

func (c *controller) token(t *testing.T, ttl time.Duration) jointoken.Token {
	t.Helper()
	tok, _, err := c.Issuer.CreateToken(ttl, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func options(c *controller, tok jointoken.Token, data string) Options {
	return Options{Server: c.URL, Token: tok.String(), Node: "node-b", Addresses: []string{"127.0.0.1"}, DataDir: data}
}

func TestJoinWritesWorkingCredentials(t *testing.T) {
	c := startController(t, 0)
	data := t.TempDir()
	res, err := Join(context.Background(), options(c, c.token(t, time.Hour), data))
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused || res.Path != filepath.Join(data, "agent.conf") {
		t.Fatalf("result %+v", res)
	}
	fi, err := os.Stat(res.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("agent.conf mode %v %v", fi.Mode(), err)
	}
	cfg, err := clientconfig.Load(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server() != c.URL || cfg.Token != "" || cfg.CertificateAuthority != string(c.CA.CertPEM) || cfg.ClientKey == "" {
		t.Fatalf("agent.conf %+v", cfg)
	}
	creds, err := LoadCredentials(res.Path, nil, nil)
	if err != nil || creds.Node() != "node-b" {
		t.Fatalf("credentials %v %v", creds, err)
	}
	client := apiclient.NewTLS(c.URL, "", creds.TLSConfig())
	if id, err := client.ClusterID(context.Background()); err != nil || id != "c0ffee" {
		t.Fatalf("a request with the node's certificate: %q %v", id, err)
	}
	// Tokens and node deletion are for admins: a node's certificate is refused.
	if _, err := client.CreateToken(context.Background(), "1h", ""); !apierrors.Is(err, apierrors.ReasonForbidden) {
		t.Errorf("a node made a join token: %v", err)
	}
	admin := apiclient.NewTLS(c.URL, "admin-token", &tls.Config{RootCAs: c.CA.Pool()})
	made, err := admin.CreateToken(context.Background(), "2h", "for node-c")
	if err != nil || !strings.HasPrefix(made.Token, "K10") || made.Description != "for node-c" {
		t.Fatalf("admin token create: %+v %v", made, err)
	}
	list, err := admin.ListTokens(context.Background())
	if err != nil || len(list) != 2 {
		t.Fatalf("token list: %+v %v", list, err)
	}
	for _, tk := range list {
		if tk.Token != "" {
			t.Errorf("token list shows a secret: %+v", tk)
		}
	}
	if err := admin.DeleteToken(context.Background(), made.ID); err != nil {
		t.Errorf("token delete: %v", err)
	}
	// Joining again reuses the credentials, whatever the token.
	res, err = Join(context.Background(), options(c, c.token(t, time.Hour), data))
	if err != nil || !res.Reused {
		t.Fatalf("second join: %+v %v", res, err)
	}
	again, _ := clientconfig.Load(res.Path)
	if again.ClientCertificate != cfg.ClientCertificate {
		t.Error("the second join replaced working credentials")
	}
	// A host booting while the controller is away keeps its credentials
	// (the agent retries); nothing is sent anywhere else.
	down := options(c, c.token(t, time.Hour), data)
	down.Server = "https://127.0.0.1:1"
	if res, err := Join(context.Background(), down); err != nil || !res.Reused {
		t.Errorf("join with the controller unreachable: %+v %v", res, err)
	}
}

func TestJoinRefusals(t *testing.T) {
	c := startController(t, 0)
	other := startController(t, 0)
	good := c.token(t, time.Hour)
	deleted := c.token(t, time.Hour)
	if err := c.Issuer.DeleteToken(deleted.ID); err != nil {
		t.Fatal(err)
	}
	expired := c.token(t, time.Nanosecond)
	time.Sleep(time.Millisecond) // the token's expiry, not a timing assertion
	wrongCA := good
	wrongCA.CAHash = other.CA.Hash()
	for _, tc := range []struct {
		name   string
		mutate func(*Options)
		want   []string
	}{
		{"plain http", func(o *Options) { o.Server = strings.Replace(o.Server, "https://", "http://", 1) }, []string{"refusing plain HTTP", "https://"}},
		{"wrong CA hash", func(o *Options) { o.Token = wrongCA.String() }, []string{"presents a cluster CA with hash " + c.CA.Hash(), "the token pins " + other.CA.Hash()}},
		{"expired", func(o *Options) { o.Token = expired.String() }, []string{"401", "expired at"}},
		{"deleted", func(o *Options) { o.Token = deleted.String() }, []string{"401", "deleted"}},
		{"wrong secret", func(o *Options) { o.Token = strings.Replace(good.String(), good.Secret, strings.Repeat("x", 16), 1) }, []string{"401", "does not match"}},
		{"garbage", func(o *Options) { o.Token = "hello" }, []string{"--token", "K10"}},
		{"bare token", func(o *Options) { o.Token = good.Bare() }, []string{"carries no CA hash"}},
	} {
		data := t.TempDir()
		o := options(c, good, data)
		tc.mutate(&o)
		_, err := Join(context.Background(), o)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", tc.name, err, w)
			}
		}
		if _, err := os.Stat(ConfigPath(data)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: agent.conf written: %v", tc.name, err)
		}
	}
	// Nothing was sent to the controller with the wrong CA: no token use.
	list, _ := c.Issuer.ListTokens()
	for _, r := range list {
		if r.Uses != 0 {
			t.Errorf("token %s used %d times by refused joins", r.ID, r.Uses)
		}
	}
}

func TestRenewalAndRevocation(t *testing.T) {
	c := startController(t, time.Hour)
	data := t.TempDir()
	res, err := Join(context.Background(), options(c, c.token(t, time.Hour), data))
	if err != nil {
		t.Fatal(err)
	}
	// The node's clock is injected: a second before the certificate is due.
	first0, _ := LoadCredentials(res.Path, nil, nil)
	offset := pki.RenewAt(first0.Certificate().Leaf).Sub(time.Now()) - time.Second
	creds, err := LoadCredentials(res.Path, func() time.Time { return time.Now().Add(offset) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := creds.Certificate().Leaf
	client := apiclient.NewTLS(c.URL, "", creds.TLSConfig())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	renewed := make(chan struct{}, 10)
	go creds.KeepRenewed(ctx, client, func() { renewed <- struct{}{} })
	select {
	case <-renewed:
	case <-time.After(30 * time.Second):
		t.Fatal("no renewal")
	}
	second := creds.Certificate().Leaf
	if second.SerialNumber.Cmp(first.SerialNumber) == 0 || second.PublicKey.(*ecdsa.PublicKey).Equal(first.PublicKey) {
		t.Fatal("renewal kept the serial or the key")
	}
	onDisk, _ := clientconfig.Load(res.Path)
	if onDisk.ClientCertificate != string(pki.EncodeCert(second.Raw)) {
		t.Error("agent.conf does not hold the renewed certificate")
	}
	if ann := creds.Annotations()[objects.AnnotationCertificateNotAfter]; ann != second.NotAfter.UTC().Format(time.RFC3339) {
		t.Errorf("annotation %q", ann)
	}
	// New connections present the new pair: a fresh client works (the
	// old certificate may still be valid, so show the server took the
	// new serial: it is the one revoked below and refused).
	fresh := apiclient.NewTLS(c.URL, "", creds.TLSConfig())
	if _, err := fresh.ClusterID(ctx); err != nil {
		t.Fatalf("with the renewed certificate: %v", err)
	}
	cancel()

	// A watch open with the node's certificate ends when it is revoked.
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- fresh.Watch(context.Background(), 0, "Pod", "node-b", func(apiclient.WatchEvent) bool { return true })
	}()
	testkit.Eventually(t, 10*time.Second, "the watch to open", func() error {
		if c.Server.OpenRequests("node-b") == 0 {
			return errors.New("no request of node-b in flight")
		}
		return nil
	})
	if _, err := c.Issuer.DeleteNode("node-b"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-watchDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked node's watch stayed open")
	}
	// Refused at once, on the kept-alive connection too.
	_, err = fresh.ClusterID(context.Background())
	if !apierrors.Is(err, apierrors.ReasonUnauthorized) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("after node delete: %v", err)
	}
	// Joining again: the old credentials are refused, so join makes new ones.
	res, err = Join(context.Background(), options(c, c.token(t, time.Hour), data))
	if err != nil || res.Reused {
		t.Fatalf("join after delete: %+v %v", res, err)
	}
}
