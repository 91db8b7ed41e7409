package authz

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Role is what an identity may do (see the package doc).
type Role string

// The roles. A person's certificate carries one of the first four as its
// organization (pki.UserSubject); nodes carry pki.GroupNodes
// (pki.NodeSubject). RoleMetrics may only scrape GET /metrics (a
// Prometheus server's credential, as controller-runtime's metrics-reader
// ClusterRole).
const (
	RoleAdmin    Role = "admin"
	RoleDeployer Role = "deployer"
	RoleViewer   Role = "viewer"
	RoleMetrics  Role = "metrics"
	RoleNode     Role = "node"
)

// TokenUser is the Name of the identity the admin bearer token gives.
const TokenUser = "admin-token"

// Identity is who made a request.
type Identity struct {
	// Name is the certificate's common name ("node:a", "alice") or
	// TokenUser.
	Name string
	Role Role
	// Node is the node's name for RoleNode ("a" for "node:a"), else "".
	Node string
}

// subject names the identity in messages as Kubernetes names users:
// `node "node:a"`, `viewer "alice"`.
func (id Identity) subject() string {
	return string(id.Role) + ` "` + id.Name + `"`
}

// Exempt reports whether a request needs no identity: GET /healthz, and
// POST /hooks/{source}, which the hook handler authenticates by the
// source's signature (git hosts cannot present a certificate or token),
// and POST /api/v1/join and /api/v1/servers/join, whose join token the
// join handlers check, and
// GET of the web UI's page and assets (/, /ui/…).
func Exempt(r *http.Request) bool {
	p := r.URL.Path
	return (r.Method == http.MethodGet && p == "/healthz") ||
		(r.Method == http.MethodPost && strings.HasPrefix(p, "/hooks/") && !strings.Contains(p[len("/hooks/"):], "/")) ||
		(r.Method == http.MethodPost && p == "/api/v1/join") || // the join token is its credential (apiserver/join.go)
		(r.Method == http.MethodPost && p == "/api/v1/servers/join") || // a server join token (apiserver/servers.go)
		webAsset(r.Method, p)
}

// webAsset: the web UI's page and its static files (reconcile/webui) hold
// no data, and the login page must load before the browser has a token.
func webAsset(method, p string) bool {
	return (method == http.MethodGet || method == http.MethodHead) &&
		(p == "/" || p == "/index.html" || (strings.HasPrefix(p, "/ui/") && !strings.Contains(p, "..")))
}

// People looks up people's bearer tokens (reconcile/usercreds keeps them
// in memory: a request costs a hash and a map read, no store read).
type People interface {
	// PersonByToken returns the identity of bearer. known is false when
	// bearer is no person's token, then err is nil; err is an apierrors
	// Unauthorized when it was one that no longer works (expired, its user
	// deleted), saying which.
	PersonByToken(bearer string) (id Identity, known bool, err error)
}

// Authenticate finds who made r: a verified client certificate first
// (r.TLS.VerifiedChains, checked against the cluster CA by the TLS
// handshake), else "Authorization: Bearer <token>": the admin token
// (compared in constant time) or a person's token (people, nil = none;
// looked up by its hash). Any failure is an apierrors Unauthorized (401)
// saying what was wrong and what to do.
func Authenticate(r *http.Request, adminToken string, people People) (Identity, error) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return FromCertificate(r.TLS.VerifiedChains[0][0])
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return Identity{}, apierrors.New(apierrors.ReasonUnauthorized, "no credentials: present a client certificate of the cluster CA or a bearer token (\"Authorization: Bearer <token>\": the admin token or a person's from `reconcile user create --token`); the CLI reads them from ~/.config/reconcile/config (written by `reconcile up` for the user who started it), --config-file or $RECONCILE_CONFIG (the controller's DATA/admin.conf, or a config from `reconcile user create`), or --token-file / $RECONCILE_TOKEN (DATA/api-token)")
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if ok && adminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(adminToken)) == 1 {
		return Identity{Name: TokenUser, Role: RoleAdmin}, nil
	}
	if ok && people != nil {
		id, known, err := people.PersonByToken(tok)
		if err != nil || known {
			return id, err
		}
	}
	return Identity{}, apierrors.New(apierrors.ReasonUnauthorized, "wrong bearer token: it is neither the admin token (the controller's DATA/api-token, also in DATA/admin.conf) nor a person's token (`reconcile user list` shows who has one; `reconcile user create NAME --token` makes one)")
}

// FromCertificate maps a verified client certificate to its identity by
// its subject: CN "node:<name>" with O "reconcile:nodes" is a node; O
// "admin", "deployer" or "viewer" (exactly one) is a person of that role
// named by the CN. Anything else is refused (401): a certificate of the
// cluster CA made for another purpose gives no access.
func FromCertificate(c *x509.Certificate) (Identity, error) {
	cn, orgs := c.Subject.CommonName, c.Subject.Organization
	if name, ok := strings.CutPrefix(cn, pki.NodePrefix); ok {
		if !slices.Contains(orgs, pki.GroupNodes) {
			return Identity{}, unauthorizedCert(cn, orgs, "a node's certificate (CN node:<name>) must have organization "+pki.GroupNodes)
		}
		if name == "" || strings.ContainsAny(name, "/ ") {
			return Identity{}, unauthorizedCert(cn, orgs, "the node name after \"node:\" is empty or not a name")
		}
		return Identity{Name: cn, Role: RoleNode, Node: name}, nil
	}
	if slices.Contains(orgs, pki.GroupNodes) {
		return Identity{}, unauthorizedCert(cn, orgs, "organization "+pki.GroupNodes+" needs the common name node:<name>")
	}
	if slices.Contains(orgs, pki.GroupControllers) {
		return Identity{}, unauthorizedCert(cn, orgs, "the controller's certificate is for agents' log servers, not for the API")
	}
	var roles []Role
	for _, o := range orgs {
		if slices.Contains(pki.Roles, o) && !slices.Contains(roles, Role(o)) {
			roles = append(roles, Role(o))
		}
	}
	switch {
	case len(roles) == 0:
		return Identity{}, unauthorizedCert(cn, orgs, "it carries no role: the organization must be admin, deployer, viewer or metrics (make one with `reconcile user create NAME --role R`)")
	case len(roles) > 1:
		return Identity{}, unauthorizedCert(cn, orgs, "it carries more than one role: a person has exactly one")
	case cn == "":
		return Identity{}, unauthorizedCert(cn, orgs, "it has no common name to name the user")
	}
	return Identity{Name: cn, Role: roles[0]}, nil
}

func unauthorizedCert(cn string, orgs []string, why string) error {
	return apierrors.New(apierrors.ReasonUnauthorized, "client certificate CN=%q O=%q is not accepted: %s", cn, orgs, why)
}

type identityKey struct{}

// WithIdentity returns ctx carrying id, for the handlers after the
// authorizer (lists, watches and admission need it).
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity WithIdentity stored; ok is false when
// there is none (an exempt route).
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Check runs a request through authenticate (401), ParseRequest (400) and
// Authorize (403; 500 when g fails): the guard of the API server and of the
// agents' metrics endpoints. code is 0 when the request is allowed, else
// the HTTP status to answer with err.
func Check(r *http.Request, authenticate func(*http.Request) (Identity, error), g Graph) (id Identity, code int, err error) {
	id, _, code, err = CheckParsed(r, authenticate, g)
	return id, code, err
}

// CheckParsed is Check that also returns the request's attributes when it
// got to parse them (attrs.Verb set), so that a caller naming the request
// afterwards (the API's metrics) does not parse its URL a second time.
func CheckParsed(r *http.Request, authenticate func(*http.Request) (Identity, error), g Graph) (id Identity, attrs Attributes, code int, err error) {
	if id, err = authenticate(r); err != nil {
		return Identity{}, Attributes{}, http.StatusUnauthorized, err
	}
	attrs, err = ParseRequest(r.Method, r.URL)
	if err != nil {
		return Identity{}, Attributes{}, http.StatusBadRequest, err
	}
	d, err := Authorize(id, attrs, g)
	if err != nil {
		return Identity{}, attrs, http.StatusInternalServerError, err
	}
	if !d.Allowed {
		return Identity{}, attrs, http.StatusForbidden, apierrors.New(apierrors.ReasonForbidden, "%s", d.Message)
	}
	return id, attrs, 0, nil
}
