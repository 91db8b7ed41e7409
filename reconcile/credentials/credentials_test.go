package credentials

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func certOf(t *testing.T, c *clientconfig.Config) *pkiCert {
	t.Helper()
	cert, err := pki.ParseCert([]byte(c.ClientCertificate))
	if err != nil {
		t.Fatal(err)
	}
	return &pkiCert{cert.Subject.CommonName, cert.Subject.Organization, cert.NotAfter.Sub(cert.NotBefore), len(cert.IPAddresses)}
}

type pkiCert struct {
	cn   string
	o    []string
	life time.Duration
	ips  int
}

func TestUserConfig(t *testing.T) {
	ca := newCA(t)
	c, err := User(ca, "https://10.0.0.1:7420", "ann", "viewer", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.Server() != "https://10.0.0.1:7420" || c.CertificateAuthority != string(ca.CertPEM) || c.Token != "" || c.ClientKey == "" {
		t.Fatalf("config: %+v", c)
	}
	got := certOf(t, c)
	if got.cn != "ann" || len(got.o) != 1 || got.o[0] != "viewer" || got.life != 24*time.Hour+time.Minute {
		t.Errorf("certificate %+v", got)
	}
	if _, err := c.TLSConfig(); err != nil {
		t.Errorf("TLSConfig: %v", err)
	}
	// The printed config round-trips through a file as RECONCILE_CONFIG.
	path := filepath.Join(t.TempDir(), "ann.conf")
	if err := clientconfig.Write(path, c); err != nil {
		t.Fatal(err)
	}
	if back, err := clientconfig.Load(path); err != nil || back.ClientCertificate != c.ClientCertificate {
		t.Errorf("round trip: %v", err)
	}
	for _, tc := range []struct{ name, role, server, want string }{
		{"ann", "root", "https://h:1", `unknown role "root"`},
		{"node:n1", "admin", "https://h:1", "reserved"},
		{"reconcile:controller", "admin", "https://h:1", "reserved"},
		{"", "viewer", "https://h:1", "empty"},
		{"an n", "viewer", "https://h:1", "no spaces"},
		{"ann", "viewer", "http://h:1", "needs an https:// URL"},
	} {
		if _, err := User(ca, tc.server, tc.name, tc.role, 0, time.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("User(%q, %q, %q): %v, want %q", tc.name, tc.role, tc.server, err, tc.want)
		}
	}
}

func TestNodeConfig(t *testing.T) {
	ca := newCA(t)
	c, err := Node(ca, "https://10.0.0.1:7420", "node-a", []net.IP{net.ParseIP("10.0.0.2")}, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := certOf(t, c)
	if got.cn != "node:node-a" || got.o[0] != pki.GroupNodes || got.ips != 1 || got.life != pki.LeafLifetime+time.Minute {
		t.Errorf("certificate %+v", got)
	}
	if name, err := NodeOf(c); err != nil || name != "node-a" {
		t.Errorf("NodeOf: %q %v", name, err)
	}
	if _, err := AgentLogTLS(c); err != nil {
		t.Errorf("AgentLogTLS: %v", err)
	}
	if _, err := Node(ca, "https://h:1", "Node_A", nil, 0, time.Now()); err == nil {
		t.Error("an invalid node name was accepted")
	}
	user, _ := User(ca, "https://h:1", "ann", "admin", 0, time.Now())
	if _, err := NodeOf(user); err == nil || !strings.Contains(err.Error(), "not a node's") {
		t.Errorf("NodeOf(a person's config): %v", err)
	}
	if _, err := NodeOf(clientconfig.New("tok", "https://h:1")); err == nil || !strings.Contains(err.Error(), "reconcile node credentials") {
		t.Errorf("NodeOf(a token config): %v", err)
	}
}

// The controller's PKI: the CA and its pairs in DATA/pki, keys 0600, the
// same CA at the next start, the admin's config carrying CA, pair and token.
func TestOpenControllerPKI(t *testing.T) {
	data := t.TempDir()
	p, err := OpenControllerPKI(data, "127.0.0.1:7420", []string{"api.example.test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.key", "ca.crt", "serving.key", "serving.crt", "admin.key", "controller.key"} {
		st, err := os.Stat(filepath.Join(data, "pki", f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, st, err)
		}
	}
	if st, err := os.Stat(filepath.Join(data, "pki")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("pki directory: %v %v, want 0700", st, err)
	}
	if err := p.Serving.Current().Cert.VerifyHostname("api.example.test"); err != nil {
		t.Error(err)
	}
	admin := p.AdminConfig("https://127.0.0.1:7420", "tok")
	if admin.Token != "tok" || admin.CertificateAuthority == "" || certOf(t, admin).o[0] != "admin" {
		t.Errorf("admin config %+v", admin)
	}
	again, err := OpenControllerPKI(data, "127.0.0.1:7420", []string{"api.example.test"}, nil)
	if err != nil || again.CA.Hash() != p.CA.Hash() || !again.Serving.Current().Cert.Equal(p.Serving.Current().Cert) {
		t.Errorf("second start: %v (a new CA or serving certificate)", err)
	}
	n, err := p.NodeConfig("https://127.0.0.1:7420", "e2e-node", nil)
	if err != nil || certOf(t, n).cn != "node:e2e-node" {
		t.Errorf("NodeConfig: %v", err)
	}
}

// FuzzNodeOf: an agent reads its certificate from a config file it was
// handed; nothing in it may crash the parse.
func FuzzNodeOf(f *testing.F) {
	ca, _ := pki.NewCA(time.Now())
	c, _ := Node(ca, "https://h:1", "n1", nil, 0, time.Now())
	f.Add(c.ClientCertificate)
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, cert string) {
		name, err := NodeOf(&clientconfig.Config{ClientCertificate: cert})
		if err == nil && name == "" {
			t.Fatal("no error and no node")
		}
	})
}

// A running controller renews its pairs when they come due: Run re-ensures
// them, the serving pair changes under the TLS callbacks and the admin's
// renewal is reported (to rewrite admin.conf).
func TestControllerPKIRenewsWhileRunning(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	p, err := OpenControllerPKI(t.TempDir(), "127.0.0.1:7420", nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	oldServing, oldAdmin := p.Serving.Current().Cert, p.Admin.Current().Cert
	ctx, cancel := context.WithCancel(context.Background())
	adminRenewed, done := make(chan struct{}, 1), make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, 5*time.Millisecond, func() {
			select {
			case adminRenewed <- struct{}{}:
			default:
			}
		}, func(err error) { t.Error(err) })
	}()
	defer func() { cancel(); <-done }() // before the data directory goes
	clock.Set(pki.RenewAt(oldServing).Add(time.Hour))
	select {
	case <-adminRenewed:
	case <-time.After(30 * time.Second):
		t.Fatal("the admin's pair was not renewed")
	}
	if err := testkit.Poll(30*time.Second, func() error {
		c, _ := p.Serving.GetCertificate(nil)
		if c.Leaf.Equal(oldServing) {
			return fmt.Errorf("still the old serving certificate")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if p.Admin.Current().Cert.Equal(oldAdmin) || p.AdminConfig("https://h:1", "").ClientCertificate == string(pki.EncodeCert(oldAdmin.Raw)) {
		t.Error("admin.conf would carry the old certificate")
	}
}
