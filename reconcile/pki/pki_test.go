package pki

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

func TestLoadOrCreateCAKeepsItAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ca, err := LoadOrCreateCA(dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateCA(dir, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if ca.Hash() != again.Hash() {
		t.Fatalf("second start made a new CA: %s != %s", ca.Hash(), again.Hash())
	}
	if !strings.HasPrefix(ca.Hash(), "sha256:") || len(ca.Hash()) != len("sha256:")+64 {
		t.Fatalf("hash %q is not sha256:<64 hex>", ca.Hash())
	}
	for _, f := range []string{CACertFile, CAKeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v err %v, want 0600", f, st.Mode().Perm(), err)
		}
	}
	if !ca.Cert.IsCA || ca.Cert.NotAfter.Sub(t0) < 9*365*24*time.Hour {
		t.Fatalf("CA: IsCA %v, until %v", ca.Cert.IsCA, ca.Cert.NotAfter)
	}
	os.Remove(filepath.Join(dir, CAKeyFile))
	if _, err := LoadOrCreateCA(dir, t0); err == nil || !strings.Contains(err.Error(), "restore it from a backup") {
		t.Fatalf("a CA without its key: %v, want an error saying to restore it", err)
	}
}

func TestEnsureServingRenewsWhenDueOrNamesChange(t *testing.T) {
	dir := t.TempDir()
	ca, _ := LoadOrCreateCA(dir, t0)
	kp, wrote, err := ca.EnsureServing(dir, "10.0.0.1:7420", []string{"api.example.com"}, t0)
	if err != nil || !wrote {
		t.Fatalf("first: wrote %v err %v", wrote, err)
	}
	if err := kp.Cert.VerifyHostname("10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := kp.Cert.VerifyHostname("api.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := kp.Cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		listen string
		sans   []string
		now    time.Time
		want   bool
	}{
		{"same names, fresh", "10.0.0.1:7420", []string{"api.example.com"}, t0.Add(time.Hour), false},
		{"two thirds of its life gone", "10.0.0.1:7420", []string{"api.example.com"}, t0.Add(LeafLifetime * 7 / 10), true},
		{"a new --tls-san", "10.0.0.1:7420", []string{"api.example.com", "10.9.9.9"}, t0, true},
		{"another listen address", "10.0.0.2:7420", []string{"api.example.com", "10.9.9.9"}, t0, true},
	}
	for _, c := range cases {
		_, wrote, err := ca.EnsureServing(dir, c.listen, c.sans, c.now)
		if err != nil || wrote != c.want {
			t.Errorf("%s: renewed %v err %v, want renewed %v", c.name, wrote, err, c.want)
		}
	}
	other, _ := NewCA(t0)
	if _, wrote, _ := other.EnsureServing(dir, "10.0.0.2:7420", []string{"api.example.com", "10.9.9.9"}, t0); !wrote {
		t.Error("a pair signed by another CA was kept")
	}
}

// TestMutualTLS: a server with the serving pair and a client with a node
// certificate from a CSR verify each other; a client from another CA, or
// without a certificate where one is required, is refused.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, _ := LoadOrCreateCA(dir, time.Now())
	serving, _, err := ca.EnsureServing(dir, "127.0.0.1:0", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := serving.TLS()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.TLS.VerifiedChains[0][0].Subject.CommonName))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{sc}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	defer srv.Close()

	key, _ := NewKey()
	csrPEM, err := NewCSR(key, NodeSubject("ignored-the-ca-decides"), nil, []net.IP{net.ParseIP("10.0.0.7")})
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSR(csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(Request{Subject: NodeSubject("node-a"), PublicKey: csr.PublicKey, Usage: ClientAuth}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := EncodeKey(key)
	client := func(certPEM, keyPEM []byte) (string, error) {
		cfg := &tls.Config{RootCAs: ca.Pool()}
		if certPEM != nil {
			c, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				return "", err
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}).Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b := make([]byte, 100)
		n, _ := resp.Body.Read(b)
		return string(b[:n]), nil
	}
	got, err := client(EncodeCert(cert.Raw), keyPEM)
	if err != nil || got != "node:node-a" || NodeName(cert.Subject) != "node-a" {
		t.Fatalf("node client: %q %v", got, err)
	}
	other, _ := NewCA(time.Now())
	stranger, _ := other.IssueKeyPair(Request{Subject: UserSubject("mallory", "admin"), Usage: ClientAuth}, time.Now())
	if _, err := client(stranger.CertPEM, stranger.KeyPEM); err == nil {
		t.Fatal("a certificate of another CA was accepted")
	}
	if _, err := client(nil, nil); err == nil {
		t.Fatal("no client certificate was accepted where one is required")
	}
}

func TestParseCSRRefusesBadInput(t *testing.T) {
	key, _ := NewKey()
	good, _ := NewCSR(key, NodeSubject("a"), nil, nil)
	cases := map[string][]byte{
		"empty":          nil,
		"not PEM":        []byte("hello"),
		"a certificate":  mustCA(t).CertPEM,
		"bad signature":  tamper(good),
		"truncated body": good[:len(good)/2],
	}
	for name, b := range cases {
		if _, err := ParseCSR(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseCSR(good); err != nil {
		t.Fatal(err)
	}
}

func mustCA(t testing.TB) *CA {
	ca, err := NewCA(t0)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// tamper flips one byte of the signature inside a PEM CSR.
func tamper(p []byte) []byte {
	der, _ := pemBlock(p, "CERTIFICATE REQUEST")
	c := append([]byte(nil), der...)
	c[len(c)-3] ^= 0xff
	return pemEncode("CERTIFICATE REQUEST", c)
}

func TestSubjects(t *testing.T) {
	if NodeName(NodeSubject("b")) != "b" || NodeName(UserSubject("node:b", "admin")) != "" {
		t.Fatal("NodeName must need both the node: prefix and the nodes group")
	}
	if CheckRole("viewer") != nil || CheckRole("root") == nil {
		t.Fatal("CheckRole")
	}
}

func TestNeedsRenewal(t *testing.T) {
	c := &x509.Certificate{NotBefore: t0, NotAfter: t0.Add(90 * time.Hour)}
	if NeedsRenewal(c, t0.Add(59*time.Hour)) || !NeedsRenewal(c, t0.Add(61*time.Hour)) || !RenewAt(c).Equal(t0.Add(60*time.Hour)) {
		t.Fatal("renewal at two thirds of the lifetime")
	}
}

func FuzzParseCSR(f *testing.F) {
	key, _ := NewKey()
	good, _ := NewCSR(key, NodeSubject("a"), []string{"a.example"}, nil)
	f.Add(good)
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		csr, err := ParseCSR(b)
		if err == nil && csr.CheckSignature() != nil {
			t.Fatal("accepted a CSR whose signature does not check")
		}
	})
}
