package join

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// CheckURL refuses anything but an https:// URL with a host.
func CheckURL(server string) (*url.URL, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("join: %q is not a URL: give the controller's address as the controller printed it, e.g. https://10.0.0.1:7420", server)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u, nil
	case "http":
		return nil, fmt.Errorf("join: refusing plain HTTP (%s): joining sends the join token and receives this node's credentials, so it needs TLS and a verified controller; use https://%s as `reconcile controller` prints it", server, u.Host)
	}
	return nil, fmt.Errorf("join: %s: the URL must start with https://", server)
}

// HashMismatchError is a controller whose CA is not the one the token pins.
type HashMismatchError struct {
	Server, Want, Got string
}

func (e *HashMismatchError) Error() string {
	return fmt.Sprintf("join: the controller at %s presents a cluster CA with hash %s, but the token pins %s: this is not the cluster the token was made for (or something is in between); check the URL, or make a token on the right controller with `reconcile token create`", e.Server, e.Got, e.Want)
}

// pinned is a TLS client configuration that trusts only the CA whose
// hash is want, found in the server's handshake chain. The CA it found is
// written to *found. Nothing is sent before it returns nil: it runs inside
// the handshake.
func pinned(server *url.URL, want string, now func() time.Time, found **x509.Certificate) *tls.Config {
	host := server.Hostname()
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain is verified below against the pinned CA, not the
		// system roots: the point of the hash is that nothing else counts.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			ca, err := pinnedCA(server.String(), cs.PeerCertificates, want)
			if err != nil {
				return err
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host, CurrentTime: now()}); err != nil {
				return fmt.Errorf("join: the controller's serving certificate does not hold for %s under the pinned CA: %w (use an address the controller's certificate names, or add it with --tls-san)", host, err)
			}
			*found = ca
			return nil
		},
	}
}

// pinnedCA finds the CA certificate of a handshake chain and checks its
// hash against want.
func pinnedCA(server string, chain []*x509.Certificate, want string) (*x509.Certificate, error) {
	if len(chain) == 0 {
		return nil, fmt.Errorf("join: the controller at %s sent no certificate", server)
	}
	var ca *x509.Certificate
	for _, c := range chain[1:] {
		if c.IsCA {
			ca = c
		}
	}
	if ca == nil {
		return nil, fmt.Errorf("join: the controller at %s sent no CA certificate in its TLS handshake (a reconcile controller sends [serving certificate, cluster CA]); is this a reconcile controller?", server)
	}
	if got := pki.CAHash(ca); got != want {
		return nil, &HashMismatchError{Server: server, Want: want, Got: got}
	}
	return ca, nil
}
