package join

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Credentials are a node's client certificate, kept current: every TLS
// handshake takes the pair of the moment, so a renewed pair is used from
// the next connection on without restarting anything.
type Credentials struct {
	path string
	ca   *x509.Certificate
	now  func() time.Time
	log  *slog.Logger

	mu   sync.Mutex
	cfg  *clientconfig.Config
	pair *tls.Certificate
	// Addresses are the IPs a renewal asks for (those of the current
	// certificate unless set).
	addresses []string
}

// LoadCredentials reads a node's client config (DATA/agent.conf). It is
// nil, nil when the config holds no node certificate (an admin config:
// the caller authenticates with its token instead).
func LoadCredentials(path string, now func() time.Time, log *slog.Logger) (*Credentials, error) {
	cfg, err := clientconfig.Load(path)
	if err != nil {
		return nil, err
	}
	if cfg.ClientCertificate == "" {
		return nil, nil
	}
	return credentialsFrom(path, cfg, now, log)
}

func credentialsFrom(path string, cfg *clientconfig.Config, now func() time.Time, log *slog.Logger) (*Credentials, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	ca, err := pki.ParseCert([]byte(cfg.CertificateAuthority))
	if err != nil {
		return nil, fmt.Errorf("%s: certificateAuthority: %w", path, err)
	}
	c := &Credentials{path: path, ca: ca, now: now, log: log}
	if err := c.set(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := credentials.NodeOf(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, ip := range c.pair.Leaf.IPAddresses {
		c.addresses = append(c.addresses, ip.String())
	}
	return c, nil
}

// set installs cfg's pair.
func (c *Credentials) set(cfg *clientconfig.Config) error {
	pair, err := tls.X509KeyPair([]byte(cfg.ClientCertificate), []byte(cfg.ClientKey))
	if err != nil {
		return fmt.Errorf("clientCertificate/clientKey: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return err
	}
	pair.Leaf = leaf
	c.mu.Lock()
	c.cfg, c.pair = cfg, &pair
	c.mu.Unlock()
	return nil
}

// Node is the node the certificate names.
func (c *Credentials) Node() string { return pki.NodeName(c.leaf().Subject) }

// NotAfter is the end of the current certificate.
func (c *Credentials) NotAfter() time.Time { return c.leaf().NotAfter }

// Server is the controller's URL from the config (its servers,
// comma-separated, when there are several: apiclient takes that form).
func (c *Credentials) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.cfg.Servers, ",")
}

func (c *Credentials) leaf() *x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pair.Leaf
}

// Certificate is the current pair (the agent's log server serves it).
func (c *Credentials) Certificate() *tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pair
}

// Annotations are the Node annotations the agent reports: the end of its
// certificate.
func (c *Credentials) Annotations() map[string]string {
	return map[string]string{objects.AnnotationCertificateNotAfter: c.NotAfter().UTC().Format(time.RFC3339)}
}

// CAPool holds the cluster CA only.
func (c *Credentials) CAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.ca)
	return p
}

// TLSConfig verifies the controller against the cluster CA and presents
// the current pair at every full handshake; sessions are resumed while the
// pair is the one they were made with.
func (c *Credentials) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    c.CAPool(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return c.Certificate(), nil
		},
		ClientSessionCache: newCertSessions(c.Certificate), // resume rather than repeat full handshakes (sessions.go)
	}
}

// LogServerTLS is the TLS of the agent's log server: the node's current
// pair (a renewed one from the next handshake on), only the controller's
// client certificate accepted (pki.AgentServerTLS).
func (c *Credentials) LogServerTLS() (*tls.Config, error) {
	cfg, err := pki.AgentServerTLS(pki.EncodeCert(c.ca.Raw), *c.Certificate())
	if err != nil {
		return nil, err
	}
	cfg.Certificates = nil
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.Certificate(), nil }
	return cfg, nil
}

// Renewer is the controller call a renewal makes (apiclient.Client).
type Renewer interface {
	RenewCertificate(ctx context.Context, node string, req apitypes.CertificateRequest) (apitypes.Certificate, error)
}

// Renew gets a certificate for a new key, writes agent.conf (atomically,
// 0600) and installs the pair: new connections use it; connections open
// now keep the old one, which stays valid until it expires.
func (c *Credentials) Renew(ctx context.Context, r Renewer) error {
	key, err := pki.NewKey()
	if err != nil {
		return err
	}
	node := c.Node()
	c.mu.Lock()
	addrs := append([]string(nil), c.addresses...)
	c.mu.Unlock()
	csr, err := pki.NewCSR(key, pki.NodeSubject(node), nil, parseIPs(addrs))
	if err != nil {
		return err
	}
	out, err := r.RenewCertificate(ctx, node, apitypes.CertificateRequest{Addresses: addrs, CSR: string(csr)})
	if err != nil {
		return fmt.Errorf("renewing the certificate of node %s: %w", node, err)
	}
	cfg, err := configFor(c.Server(), node, key, c.ca, out, c.now())
	if err != nil {
		return err
	}
	if err := clientconfig.Write(c.path, cfg); err != nil {
		return err
	}
	return c.set(cfg)
}

// RenewBackoff paces failed renewals (1 s doubling to 1 min, reset after
// a success).
var RenewBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Steps: 7, Cap: time.Minute}

// KeepRenewed renews the certificate at pki.RenewAt (a third of its
// lifetime left) until ctx ends, retrying failures with RenewBackoff.
// renewed, when set, is called after each renewal (the agent re-reports
// its Node's annotations).
func (c *Credentials) KeepRenewed(ctx context.Context, r Renewer, renewed func()) {
	back := RenewBackoff
	for {
		until := pki.RenewAt(c.leaf()).Sub(c.now())
		if !ctxwait.Sleep(ctx, until) {
			return
		}
		if err := c.Renew(ctx, r); err != nil {
			if ctx.Err() != nil {
				return
			}
			d := back.Step()
			c.log.Warn("certificate renewal failed; retrying", "in", d, "notAfter", c.NotAfter(), "err", err)
			if !ctxwait.Sleep(ctx, d) {
				return
			}
			continue
		}
		back = RenewBackoff
		c.log.Info("node certificate renewed", "node", c.Node(), "notAfter", c.NotAfter(), "config", c.path)
		if renewed != nil {
			renewed()
		}
		// A certificate due at once (a lifetime shorter than the minute
		// of clock skew pki allows for) must not make a hot loop.
		if !ctxwait.Sleep(ctx, time.Second) {
			return
		}
	}
}
