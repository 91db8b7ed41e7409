package pki

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/fileutil"
)

// Lifetimes, as kubeadm's: the CA ten years, leaf certificates one year.
const (
	CALifetime   = 10 * 365 * 24 * time.Hour
	LeafLifetime = 365 * 24 * time.Hour
)

// File names under the PKI directory (DATA/pki).
const (
	CACertFile = "ca.crt"
	CAKeyFile  = "ca.key"
)

// CA is the cluster certificate authority.
type CA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	Key     *ecdsa.PrivateKey
}

// LoadOrCreateCA loads dir/ca.crt and dir/ca.key, or makes them (the key
// mode 0600, the directory 0700) when neither exists. One without the other
// is an error: a lost CA key cannot be guessed back, and a new CA would
// silently cut off every joined node.
func LoadOrCreateCA(dir string, now time.Time) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	switch {
	case cerr == nil && kerr == nil:
		return parseCA(certPath, certPEM, keyPEM)
	case errors.Is(cerr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist):
	case cerr == nil || kerr == nil:
		return nil, fmt.Errorf("cluster CA in %s: one of %s and %s is missing; restore it from a backup (a new CA would cut off every joined node), or remove both to make a new cluster CA", dir, CACertFile, CAKeyFile)
	default:
		return nil, fmt.Errorf("cluster CA in %s: %w", dir, errors.Join(cerr, kerr))
	}
	ca, err := NewCA(now)
	if err != nil {
		return nil, err
	}
	keyPEM, err = EncodeKey(ca.Key)
	if err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := fileutil.WriteAtomic(certPath, ca.CertPEM, 0o600); err != nil {
		return nil, err
	}
	return ca, nil
}

func parseCA(path string, certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("cluster CA %s: %w", path, err)
	}
	key, err := ParseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("cluster CA key next to %s: %w", path, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("cluster CA %s: the key does not match the certificate; restore both from the same backup", path)
	}
	return &CA{Cert: cert, CertPEM: EncodeCert(cert.Raw), Key: key}, nil
}

// NewCA makes a self-signed cluster CA valid from now.
func NewCA(now time.Time) (*CA, error) {
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "reconcile-ca@" + fmt.Sprint(now.Unix()), Organization: []string{"reconcile"}},
		NotBefore:             now.Add(-time.Minute), // tolerate a little clock skew between hosts
		NotAfter:              now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, CertPEM: EncodeCert(der), Key: key}, nil
}

// NewSerial is a random 128-bit serial number.
func NewSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

// Hash is the CA's discovery hash (see CAHash).
func (ca *CA) Hash() string { return CAHash(ca.Cert) }

// CAHash is "sha256:<hex>" of cert's DER SubjectPublicKeyInfo, the form of
// kubeadm's --discovery-token-ca-cert-hash.
func CAHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Pool is a certificate pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Usage is what a certificate is for.
type Usage int

const (
	// ClientAuth: a client certificate (people, nodes calling the API, the
	// controller calling agents).
	ClientAuth Usage = 1 << iota
	// ServerAuth: a serving certificate (the API, an agent's log server).
	ServerAuth
)

// Request is what the CA is asked to certify.
type Request struct {
	Subject   pkix.Name
	PublicKey any // from the CSR or a key made here
	DNSNames  []string
	IPs       []net.IP
	Usage     Usage
	Lifetime  time.Duration // zero: LeafLifetime (never past the CA's end)
}

// Issue signs a leaf certificate for req, valid from now.
func (ca *CA) Issue(req Request, now time.Time) (*x509.Certificate, error) {
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	life := req.Lifetime
	if life <= 0 {
		life = LeafLifetime
	}
	notAfter := now.Add(life)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               req.Subject,
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPs,
	}
	if req.Usage&ClientAuth != 0 {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	if req.Usage&ServerAuth != 0 {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, req.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issuing a certificate for %q: %w", req.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// NewCSR makes a PEM certificate signing request for key. The CA decides
// the subject it certifies (Sign); the CSR proves possession of the key.
func NewCSR(key *ecdsa.PrivateKey, subject pkix.Name, dnsNames []string, ips []net.IP) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject, DNSNames: dnsNames, IPAddresses: ips}, key)
	if err != nil {
		return nil, err
	}
	return pemEncode("CERTIFICATE REQUEST", der), nil
}

// ParseCSR reads a PEM CSR and checks its signature (the sender holds the
// key) and that the key is ECDSA P-256 or stronger.
func ParseCSR(b []byte) (*x509.CertificateRequest, error) {
	der, err := pemBlock(b, "CERTIFICATE REQUEST")
	if err != nil {
		return nil, err
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("certificate signing request: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("certificate signing request: bad signature: %w", err)
	}
	if pk, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok || pk.Curve.Params().BitSize < 256 {
		return nil, fmt.Errorf("certificate signing request: the key must be ECDSA P-256 or stronger (got %T)", csr.PublicKey)
	}
	return csr, nil
}

// NeedsRenewal says whether cert should be renewed at now: when less than
// a third of its lifetime is left (kubelet rotates at 70–90 %).
func NeedsRenewal(cert *x509.Certificate, now time.Time) bool {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return now.After(cert.NotAfter.Add(-life / 3))
}

// RenewAt is when NeedsRenewal turns true for cert.
func RenewAt(cert *x509.Certificate) time.Time {
	return cert.NotAfter.Add(-cert.NotAfter.Sub(cert.NotBefore) / 3)
}

// SerialString is the form a serial takes in lists and revocations: hex,
// lower case.
func SerialString(s *big.Int) string { return strings.ToLower(s.Text(16)) }
