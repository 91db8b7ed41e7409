package pki

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"slices"
)

// APIServerTLS is the API server's TLS: the rotating serving pair (its
// chain [leaf, CA]), client certificates verified against the cluster CA
// when given (people and nodes present one; the admin bearer token, git
// hooks and join come without), TLS 1.2 or later.
func (ca *CA) APIServerTLS(serving *Rotating) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: serving.GetCertificate,
		ClientCAs:      ca.Pool(),
		ClientAuth:     tls.VerifyClientCertIfGiven,
	}
}

// AgentServerTLS is the TLS of an agent's log server: it serves the node's
// own pair (issued for both ClientAuth and ServerAuth) and accepts only a
// client certificate of the cluster CA whose subject is
// ControllerSubject — nobody else may read a node's logs.
func AgentServerTLS(caPEM []byte, node tls.Certificate) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("agent log server: the cluster CA holds no PEM certificate")
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{node},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no client certificate")
			}
			return CheckSubject(cs.PeerCertificates[0].Subject, ControllerSubject())
		},
	}, nil
}

// CheckSubject says whether got is exactly want (common name and
// organizations), in words for a refusal.
func CheckSubject(got, want pkix.Name) error {
	if got.CommonName != want.CommonName || !slices.Equal(got.Organization, want.Organization) {
		return fmt.Errorf("client certificate %q (O=%v) is not the controller's (%q, O=%v): only the controller may read an agent's logs", got.CommonName, got.Organization, want.CommonName, want.Organization)
	}
	return nil
}

// AgentClientTLS is the controller's TLS towards node's agent: it presents
// the controller's client pair (client) and accepts only a server chain of
// the cluster CA whose leaf names node (NodeName), not whatever host
// answers at the node's address — IP SANs are not relied on.
func (ca *CA) AgentClientTLS(node string, client *Rotating) *tls.Config {
	roots := ca.Pool()
	return &tls.Config{
		MinVersion:           tls.VersionTLS12,
		GetClientCertificate: client.GetClientCertificate,
		// The chain is verified below, against the cluster CA and the node's
		// name instead of the dialled host.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return VerifyNodeChain(cs.PeerCertificates, roots, node)
		},
	}
}

// VerifyNodeChain checks that chain (leaf first) is a serving chain of the
// cluster CA (roots) for node.
func VerifyNodeChain(chain []*x509.Certificate, roots *x509.CertPool, node string) error {
	if len(chain) == 0 {
		return fmt.Errorf("agent of node %s presented no certificate", node)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("agent of node %s: its certificate is not one of the cluster CA's: %w", node, err)
	}
	if got := NodeName(chain[0].Subject); got != node {
		return fmt.Errorf("the agent answering for node %s holds the certificate of %q: refused (is another host at that node's address?)", node, chain[0].Subject.CommonName)
	}
	return nil
}
