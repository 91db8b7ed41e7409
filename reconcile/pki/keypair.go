package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/fileutil"
)

// KeyPair is a certificate and its key, both PEM, as files and TLS use them.
type KeyPair struct {
	CertPEM, KeyPEM []byte
	Cert            *x509.Certificate
}

// TLS is the pair as a tls.Certificate.
func (kp *KeyPair) TLS() (tls.Certificate, error) {
	c, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		return c, err
	}
	c.Leaf = kp.Cert
	return c, nil
}

// IssueKeyPair makes a key here and has the CA certify it: for the
// controller's own certificates (the key never leaves its data directory).
func (ca *CA) IssueKeyPair(req Request, now time.Time) (*KeyPair, error) {
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	req.PublicKey = key.Public()
	cert, err := ca.Issue(req, now)
	if err != nil {
		return nil, err
	}
	keyPEM, err := EncodeKey(key)
	if err != nil {
		return nil, err
	}
	return &KeyPair{CertPEM: EncodeCert(cert.Raw), KeyPEM: keyPEM, Cert: cert}, nil
}

// LoadKeyPair reads dir/name.crt and dir/name.key.
func LoadKeyPair(dir, name string) (*KeyPair, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, name+".crt"))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return nil, err
	}
	cert, err := ParseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, name+".crt"), err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, name+".key"), err)
	}
	return &KeyPair{CertPEM: certPEM, KeyPEM: keyPEM, Cert: cert}, nil
}

// Save writes the pair as dir/name.crt and dir/name.key, both 0600.
func (kp *KeyPair) Save(dir, name string) error {
	if err := fileutil.WriteAtomic(filepath.Join(dir, name+".key"), kp.KeyPEM, 0o600); err != nil {
		return err
	}
	return fileutil.WriteAtomic(filepath.Join(dir, name+".crt"), kp.CertPEM, 0o600)
}

// EnsureKeyPair returns dir/name's pair, issuing a new one when it is
// missing, signed by another CA, due for renewal (NeedsRenewal), or made
// for other names than req's. renewed says whether it wrote.
func (ca *CA) EnsureKeyPair(dir, name string, req Request, now time.Time) (kp *KeyPair, renewed bool, err error) {
	kp, err = LoadKeyPair(dir, name)
	switch {
	case err == nil && ca.Verify(kp.Cert, now) == nil && !NeedsRenewal(kp.Cert, now) && sameNames(kp.Cert, req):
		return kp, false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	}
	kp, err = ca.IssueKeyPair(req, now)
	if err != nil {
		return nil, false, err
	}
	return kp, true, kp.Save(dir, name)
}

// Verify checks that cert was issued by the CA and is valid at now.
func (ca *CA) Verify(cert *x509.Certificate, now time.Time) error {
	_, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

func sameNames(c *x509.Certificate, req Request) bool {
	if c.Subject.CommonName != req.Subject.CommonName || !slices.Equal(c.Subject.Organization, req.Subject.Organization) {
		return false
	}
	if !slices.Equal(sorted(c.DNSNames), sorted(req.DNSNames)) {
		return false
	}
	a, b := ipStrings(c.IPAddresses), ipStrings(req.IPs)
	return slices.Equal(a, b)
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

func ipStrings(ips []net.IP) []string {
	var out []string
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return sorted(out)
}
