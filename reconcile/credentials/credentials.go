package credentials

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Base names of the controller's own pairs in DATA/pki.
const (
	// AdminFile is the admin's client pair, the identity of DATA/admin.conf.
	AdminFile = "admin"
	// ControllerFile is the controller's client pair, presented to agents'
	// log servers.
	ControllerFile = "controller"
	// AdminUser is the user name in the admin's certificate.
	AdminUser = "admin"
)

// AdminRequest is what the admin's certificate certifies.
func AdminRequest() pki.Request {
	return pki.Request{Subject: pki.UserSubject(AdminUser, "admin"), Usage: pki.ClientAuth}
}

// ControllerRequest is what the controller's client certificate certifies.
func ControllerRequest() pki.Request {
	return pki.Request{Subject: pki.ControllerSubject(), Usage: pki.ClientAuth}
}

// NodeRequest is what a node's certificate certifies: its identity as a
// client of the API and, with the same pair, its log server (ServerAuth).
// ips are its addresses (informative only: the controller checks the
// node's name, not its address).
func NodeRequest(name string, ips []net.IP) pki.Request {
	return pki.Request{Subject: pki.NodeSubject(name), IPs: ips, DNSNames: []string{name}, Usage: pki.ClientAuth | pki.ServerAuth}
}

// UserRequest is what a person's certificate certifies, after checking the
// name and role.
func UserRequest(name, role string) (pki.Request, error) {
	if err := pki.CheckRole(role); err != nil {
		return pki.Request{}, err
	}
	if err := CheckUserName(name); err != nil {
		return pki.Request{}, err
	}
	return pki.Request{Subject: pki.UserSubject(name, role), Usage: pki.ClientAuth}, nil
}

// CheckUserName refuses names that could pass for another identity (a node,
// the controller) or that are not printable words.
func CheckUserName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("user name is empty")
	case strings.HasPrefix(name, pki.NodePrefix) || strings.HasPrefix(name, "reconcile:") || strings.HasPrefix(name, "system:"):
		return fmt.Errorf("user name %q: names starting with %q, \"reconcile:\" or \"system:\" are reserved for nodes and the controller", name, pki.NodePrefix)
	case len(name) > 253:
		return fmt.Errorf("user name is %d characters long, at most 253", len(name))
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("user name %q: no spaces or control characters", name)
		}
	}
	return nil
}

// CheckNodeName: a node's name is a DNS subdomain, as a Node object's.
func CheckNodeName(name string) error {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("node name %q: %s", name, strings.Join(errs, "; "))
	}
	return nil
}

// Config is the client configuration for server made from a pair the CA
// issued: the CA to verify the server by, and the pair as the identity.
func Config(ca *pki.CA, server string, kp *pki.KeyPair) *clientconfig.Config {
	c := clientconfig.New("", server)
	c.CertificateAuthority = string(ca.CertPEM)
	c.ClientCertificate, c.ClientKey = string(kp.CertPEM), string(kp.KeyPEM)
	return c
}

// User issues a person's client configuration (`reconcile user create`).
// ttl zero is pki.LeafLifetime.
func User(ca *pki.CA, server, name, role string, ttl time.Duration, now time.Time) (*clientconfig.Config, error) {
	req, err := UserRequest(name, role)
	if err != nil {
		return nil, err
	}
	return issue(ca, server, req, ttl, now)
}

// Node issues a node's client configuration (`reconcile node credentials`):
// the agent's identity towards the API and its log server's pair.
func Node(ca *pki.CA, server, name string, ips []net.IP, ttl time.Duration, now time.Time) (*clientconfig.Config, error) {
	if err := CheckNodeName(name); err != nil {
		return nil, err
	}
	return issue(ca, server, NodeRequest(name, ips), ttl, now)
}

func issue(ca *pki.CA, server string, req pki.Request, ttl time.Duration, now time.Time) (*clientconfig.Config, error) {
	if !strings.HasPrefix(server, "https://") {
		return nil, fmt.Errorf("server %q: a client config with certificates needs an https:// URL (the controller serves HTTPS)", server)
	}
	if ttl < 0 {
		return nil, fmt.Errorf("--ttl %s: want a positive duration", ttl)
	}
	req.Lifetime = ttl
	kp, err := ca.IssueKeyPair(req, now)
	if err != nil {
		return nil, err
	}
	return Config(ca, server, kp), nil
}

// EnsureAdmin returns the admin's pair in dir (DATA/pki), issuing or
// renewing it as pki.EnsureKeyPair does.
func EnsureAdmin(ca *pki.CA, dir string, now time.Time) (*pki.KeyPair, bool, error) {
	return ca.EnsureKeyPair(dir, AdminFile, AdminRequest(), now)
}

// EnsureController returns the controller's client pair in dir.
func EnsureController(ca *pki.CA, dir string, now time.Time) (*pki.KeyPair, bool, error) {
	return ca.EnsureKeyPair(dir, ControllerFile, ControllerRequest(), now)
}

// NodeOf is the node a client config's certificate names, with an error
// saying what to use when it holds no node certificate (an admin's or a
// person's config given to an agent).
func NodeOf(c *clientconfig.Config) (string, error) {
	if c.ClientCertificate == "" {
		return "", fmt.Errorf("the client config holds no client certificate: an agent authenticates with its node's certificate (run `reconcile node credentials NAME > agent.conf` where the controller's DATA/pki is, then pass --config-file agent.conf)")
	}
	cert, err := pki.ParseCert([]byte(c.ClientCertificate))
	if err != nil {
		return "", fmt.Errorf("client config: clientCertificate: %w", err)
	}
	name := pki.NodeName(cert.Subject)
	if name == "" {
		return "", fmt.Errorf("the client config's certificate is %q (O=%v), not a node's: an agent needs its node's credentials (`reconcile node credentials NAME > agent.conf` where the controller's DATA/pki is)", cert.Subject.CommonName, cert.Subject.Organization)
	}
	return name, nil
}

// AgentLogTLS is the TLS of a node's log server from its client config:
// the node's own pair, only the controller's certificate accepted
// (pki.AgentServerTLS).
func AgentLogTLS(c *clientconfig.Config) (*tls.Config, error) {
	pair, err := tls.X509KeyPair([]byte(c.ClientCertificate), []byte(c.ClientKey))
	if err != nil {
		return nil, fmt.Errorf("client config: clientCertificate/clientKey: %w", err)
	}
	return pki.AgentServerTLS([]byte(c.CertificateAuthority), pair)
}
