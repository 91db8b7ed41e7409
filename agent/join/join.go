package join

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// ConfigFile is the node's client config in its data directory.
const ConfigFile = "agent.conf"

// ConfigPath is DATA/agent.conf.
func ConfigPath(dataDir string) string { return filepath.Join(dataDir, ConfigFile) }

// Options of a join.
type Options struct {
	// Server is https://host:port of the controller; several,
	// comma-separated, for a control plane of several servers: join asks
	// the first, and agent.conf lists them all (the agent moves to the
	// next when one cannot be reached).
	Server string
	Token  string // as `reconcile token create` printed it: K10<hash>::<id>.<secret>
	Node   string
	// Addresses are the node's IPs, named in its certificate (the
	// controller calls the agent's log server there).
	Addresses []string
	DataDir   string
	Log       *slog.Logger
	Now       func() time.Time // default time.Now
	Timeout   time.Duration    // of each request; default 10 s
}

// Result says what Join did.
type Result struct {
	Path   string // DATA/agent.conf
	Reused bool   // the credentials of an earlier join still work
}

// Join makes sure DATA/agent.conf holds working credentials of node
// o.Node on the controller o.Server (see the package doc).
func Join(ctx context.Context, o Options) (Result, error) {
	o.defaults()
	res := Result{Path: ConfigPath(o.DataDir)}
	var u *url.URL
	for i, s := range strings.Split(o.Server, ",") {
		su, err := CheckURL(strings.TrimSpace(s))
		if err != nil {
			return res, err
		}
		if i == 0 {
			u = su
		}
	}
	tok, err := jointoken.Parse(o.Token)
	if err != nil {
		return res, fmt.Errorf("join: --token: %w", err)
	}
	if tok.CAHash == "" {
		return res, fmt.Errorf("join: --token %s.… carries no CA hash: use the whole K10…::%s.… form `reconcile token create` prints, so join can verify the controller before sending anything", tok.ID, tok.ID)
	}
	if o.Node == "" {
		return res, errors.New("join: a node name is required (--node)")
	}
	if ok, err := reuse(ctx, o, tok, res.Path); err != nil || ok {
		res.Reused = ok
		return res, err
	}
	ca, err := discoverWhenReachable(ctx, u, tok.CAHash, o)
	if err != nil {
		return res, err
	}
	cfg, err := requestCredentials(ctx, u, tok, ca, o)
	if err != nil {
		return res, err
	}
	if err := clientconfig.Write(res.Path, cfg); err != nil {
		return res, err
	}
	o.Log.Info("joined the cluster", "server", u.String(), "node", o.Node, "config", res.Path, "ca", tok.CAHash)
	return res, nil
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
}

// discover opens TLS to the controller, pins the CA from the handshake
// by the token's hash and verifies the serving certificate: nothing is
// sent before this succeeds.
func discover(ctx context.Context, u *url.URL, want string, o Options) (*x509.Certificate, error) {
	var ca *x509.Certificate
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: o.Timeout}, Config: pinned(u, want, o.Now, &ca)}
	conn, err := d.DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		var mismatch *HashMismatchError
		if errors.As(err, &mismatch) {
			return nil, mismatch
		}
		return nil, fmt.Errorf("join: TLS to the controller at %s: %w", u, err)
	}
	conn.Close()
	return ca, nil
}

// discoverWhenReachable is discover, retried while the controller cannot
// be reached at all (a host that boots before its controller, as k3s'
// agent waits for its server); any answer, refusals included, ends it.
func discoverWhenReachable(ctx context.Context, u *url.URL, want string, o Options) (*x509.Certificate, error) {
	b := wait.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Steps: math.MaxInt32, Cap: 10 * time.Second}
	for {
		ca, err := discover(ctx, u, want, o)
		var op *net.OpError
		if err == nil || !errors.As(err, &op) || op.Op != "dial" || ctx.Err() != nil {
			return ca, err
		}
		d := b.Step()
		o.Log.Warn("join: the controller cannot be reached yet; retrying", "server", u.String(), "in", d, "err", err)
		if !ctxwait.Sleep(ctx, d) {
			return nil, err
		}
	}
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// requestCredentials makes the node's key and has the controller certify
// it; the answer is checked before it is written.
func requestCredentials(ctx context.Context, u *url.URL, tok jointoken.Token, ca *x509.Certificate, o Options) (*clientconfig.Config, error) {
	key, err := pki.NewKey()
	if err != nil {
		return nil, err
	}
	csr, err := pki.NewCSR(key, pki.NodeSubject(o.Node), nil, parseIPs(o.Addresses))
	if err != nil {
		return nil, err
	}
	var again *x509.Certificate
	c := apiclient.NewTLS(u.String(), tok.Bare(), pinned(u, tok.CAHash, o.Now, &again))
	out, err := c.Join(ctx, apitypes.JoinRequest{Node: o.Node, Addresses: o.Addresses, CSR: string(csr)})
	if err != nil {
		return nil, joinRefused(u, err)
	}
	return configFor(o.Server, o.Node, key, ca, out, o.Now())
}

// joinRefused words the controller's refusal for the person running join.
func joinRefused(u *url.URL, err error) error {
	switch apierrors.ReasonOf(err) {
	case apierrors.ReasonUnauthorized:
		return fmt.Errorf("join: the controller at %s refused the token (401 Unauthorized): %w", u, err)
	case apierrors.ReasonBadRequest:
		return fmt.Errorf("join: the controller at %s refused the request (400 Bad Request): %w", u, err)
	case apierrors.ReasonConflict, apierrors.ReasonAlreadyExists:
		return fmt.Errorf("join: the controller at %s refused the node name (409 Conflict): %w", u, err)
	}
	return fmt.Errorf("join: %w", err)
}

// configFor checks a controller's answer (the certificate is for key,
// chains to the pinned CA, names the node) and makes the client config.
func configFor(server, node string, key *ecdsa.PrivateKey, ca *x509.Certificate, out apitypes.Certificate, now time.Time) (*clientconfig.Config, error) {
	cert, err := pki.ParseCert([]byte(out.Certificate))
	if err != nil {
		return nil, fmt.Errorf("join: the controller's certificate: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("join: the controller certified another key than this node's; not using it")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("join: the controller's certificate does not chain to the pinned CA: %w", err)
	}
	if got := pki.NodeName(cert.Subject); got != node {
		return nil, fmt.Errorf("join: the certificate names node %q, not %q", got, node)
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return nil, err
	}
	cfg := clientconfig.New("", apiclient.ParseServers(server)...)
	cfg.CertificateAuthority = string(pki.EncodeCert(ca.Raw))
	cfg.ClientCertificate = string(pki.EncodeCert(cert.Raw))
	cfg.ClientKey = string(keyPEM)
	return cfg, nil
}

// reuse says whether an earlier join's DATA/agent.conf still works: the
// same CA (hash) and node, and the controller accepts its certificate (a
// deleted node's is revoked: 401, and the host joins again).
func reuse(ctx context.Context, o Options, tok jointoken.Token, path string) (bool, error) {
	cfg, err := clientconfig.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	creds, err := credentialsFrom(path, cfg, o.Now, o.Log)
	if err != nil {
		o.Log.Warn("the existing client config cannot be used; joining again", "path", path, "err", err)
		return false, nil
	}
	if h := pki.CAHash(creds.ca); h != tok.CAHash {
		o.Log.Info("the existing client config is for another cluster CA; joining again", "path", path, "its", h, "token", tok.CAHash)
		return false, nil
	}
	if creds.Node() != o.Node {
		o.Log.Info("the existing client config is for another node name; joining again", "path", path, "its", creds.Node(), "node", o.Node)
		return false, nil
	}
	if creds.NotAfter().Before(o.Now()) {
		o.Log.Info("the existing certificate expired; joining again", "path", path, "notAfter", creds.NotAfter())
		return false, nil
	}
	c := apiclient.NewTLS(o.Server, "", creds.TLSConfig())
	_, err = c.ClusterID(ctx)
	var answered *apierrors.Error
	switch {
	case err == nil || errors.As(err, &answered) && answered.Reason != apierrors.ReasonUnauthorized:
		// Any answer but 401 means the controller took the certificate.
		o.Log.Info("this host has joined before: reusing its credentials", "config", path, "node", o.Node, "notAfter", creds.NotAfter())
		return true, nil
	case apierrors.Is(err, apierrors.ReasonUnauthorized):
		o.Log.Info("the controller refuses this host's earlier credentials (the node was deleted?); joining again", "err", err)
		return false, nil
	}
	// The controller cannot be asked now (a host booting before it): the
	// credentials are kept and the agent retries until it answers.
	o.Log.Warn("cannot check the credentials of an earlier join now; using them, the agent retries", "config", path, "err", err)
	return true, nil
}

func parseIPs(addrs []string) []net.IP {
	var out []net.IP
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil {
			out = append(out, ip)
		}
	}
	return out
}
