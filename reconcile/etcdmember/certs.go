package etcdmember

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"path/filepath"

	"go.etcd.io/etcd/client/pkg/v3/transport"

	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Common names of the etcd certificates; the listeners accept no other
// (a node's certificate, from the same CA, is refused).
const (
	PeerCN   = "reconcile:etcd-peer"
	ServerCN = "reconcile:etcd-server"
	ClientCN = "reconcile:etcd-client"
)

// Base names of the pairs in DATA/pki.
const (
	peerFile   = "etcd-peer"
	serverFile = "etcd-server"
	clientFile = "etcd-client"
)

func subject(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{pki.GroupControllers}}
}

// certRequests are the three pairs a member needs: the peer pair (server
// and client of the other members, for this server's name and address),
// the client listener's serving pair, and the controller's client pair.
func certRequests(o *Options) map[string]pki.Request {
	ips := []net.IP{net.ParseIP(o.Advertise)}
	if !ips[0].IsLoopback() {
		ips = append(ips, net.IPv4(127, 0, 0, 1))
	}
	dns := []string{o.Name, "localhost"}
	return map[string]pki.Request{
		peerFile:   {Subject: subject(PeerCN), DNSNames: dns, IPs: ips, Usage: pki.ServerAuth | pki.ClientAuth},
		serverFile: {Subject: subject(ServerCN), DNSNames: dns, IPs: ips, Usage: pki.ServerAuth | pki.ClientAuth},
		clientFile: {Subject: subject(ClientCN), Usage: pki.ClientAuth},
	}
}

// ensureCerts issues (or renews) the member's pairs in dir.
func ensureCerts(o *Options, dir string) error {
	for name, req := range certRequests(o) {
		if _, _, err := o.CA.EnsureKeyPair(dir, name, req, o.Now()); err != nil {
			return fmt.Errorf("etcd member %s: certificate %s in %s: %w", o.Name, name, dir, err)
		}
	}
	return nil
}

func tlsInfo(dir, pair string, allowed ...string) transport.TLSInfo {
	return transport.TLSInfo{
		CertFile:       filepath.Join(dir, pair+".crt"),
		KeyFile:        filepath.Join(dir, pair+".key"),
		TrustedCAFile:  filepath.Join(dir, pki.CACertFile),
		ClientCertAuth: true,
		AllowedCNs:     allowed,
	}
}

// ClientTLS is the controller's TLS towards the members' client URLs: the
// cluster CA as the only root, the etcd client pair in pkiDir.
func ClientTLS(pkiDir string, ca *pki.CA) (*tls.Config, error) {
	kp, err := pki.LoadKeyPair(pkiDir, clientFile)
	if err != nil {
		return nil, fmt.Errorf("etcd client certificate: %w (it is made when the member starts)", err)
	}
	c, err := kp.TLS()
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, Certificates: []tls.Certificate{c}}, nil
}
