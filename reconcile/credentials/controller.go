package credentials

import (
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// PKIDir is the PKI directory inside the controller's data directory.
func PKIDir(data string) string { return filepath.Join(data, "pki") }

// ControllerPKI is the controller's PKI while it runs: the cluster CA and
// the pairs it keeps fresh (the API's serving pair, its own client pair
// towards agents, the admin's pair in DATA/admin.conf).
type ControllerPKI struct {
	CA                     *pki.CA
	Dir                    string
	Serving, Client, Admin *pki.Rotating
	now                    func() time.Time
}

// OpenControllerPKI loads or makes the CA in DATA/pki and ensures the
// controller's pairs: the serving certificate for listen and extraSANs
// (--tls-san), the controller's client pair, the admin's pair. now is the
// clock (time.Now when nil).
func OpenControllerPKI(data, listen string, extraSANs []string, now func() time.Time) (*ControllerPKI, error) {
	if now == nil {
		now = time.Now
	}
	dir := PKIDir(data)
	ca, err := pki.LoadOrCreateCA(dir, now())
	if err != nil {
		return nil, err
	}
	p := &ControllerPKI{CA: ca, Dir: dir, now: now}
	if p.Serving, err = ca.NewRotating(func(t time.Time) (*pki.KeyPair, bool, error) {
		return ca.EnsureServing(dir, listen, extraSANs, t)
	}, true, now); err != nil {
		return nil, err
	}
	if p.Client, err = ca.NewRotating(func(t time.Time) (*pki.KeyPair, bool, error) {
		return EnsureController(ca, dir, t)
	}, false, now); err != nil {
		return nil, err
	}
	if p.Admin, err = ca.NewRotating(func(t time.Time) (*pki.KeyPair, bool, error) {
		return EnsureAdmin(ca, dir, t)
	}, false, now); err != nil {
		return nil, err
	}
	return p, nil
}

// APIServerTLS is the API server's TLS (pki.CA.APIServerTLS).
func (p *ControllerPKI) APIServerTLS() *tls.Config { return p.CA.APIServerTLS(p.Serving) }

// AgentTLS is the TLS towards node's agent (pki.CA.AgentClientTLS).
func (p *ControllerPKI) AgentTLS(node string) *tls.Config { return p.CA.AgentClientTLS(node, p.Client) }

// AdminConfig is DATA/admin.conf: server, the CA, the admin's pair and the
// admin bearer token (kept for scripts and hooks' tooling).
func (p *ControllerPKI) AdminConfig(server, token string) *clientconfig.Config {
	c := Config(p.CA, server, p.Admin.Current())
	c.Token = token
	return c
}

// NodeConfig ensures a node's pair in DATA/pki (node-NAME.crt/.key) and
// returns its client config: the in-process agent of `reconcile up`.
func (p *ControllerPKI) NodeConfig(server, name string, ips []net.IP) (*clientconfig.Config, error) {
	if err := CheckNodeName(name); err != nil {
		return nil, err
	}
	kp, _, err := p.CA.EnsureKeyPair(p.Dir, "node-"+name, NodeRequest(name, ips), p.now())
	if err != nil {
		return nil, err
	}
	return Config(p.CA, server, kp), nil
}

// Run re-ensures the pairs every interval until ctx ends, so a certificate
// is renewed (pki.NeedsRenewal) while the controller runs; adminRenewed is
// called when the admin's pair changed (rewrite DATA/admin.conf), onErr
// with failures (the old certificates stay valid for months).
func (p *ControllerPKI) Run(ctx context.Context, every time.Duration, adminRenewed func(), onErr func(error)) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.Serving.Run(ctx, every, nil, onErr) }()
	go func() { defer wg.Done(); p.Client.Run(ctx, every, nil, onErr) }()
	p.Admin.Run(ctx, every, func(*pki.KeyPair) {
		if adminRenewed != nil {
			adminRenewed()
		}
	}, onErr)
	wg.Wait() // returns when every loop has ended: no write after it
}
