package ingress

import (
	"crypto/tls"
	"net"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Snapshot is what the routing table is built from: the cluster's
// Ingresses, IngressClasses, Services and Endpoints, and the Secrets the
// served Ingresses name in spec.tls (with their values).
type Snapshot struct {
	Ingresses []*networkingv1.Ingress
	Classes   []*networkingv1.IngressClass
	Services  []*corev1.Service
	Endpoints []*corev1.Endpoints
	Secrets   []*corev1.Secret
}

// Backend is one Ingress backend resolved to the Service's ready
// endpoints, with the route options of the Ingress that names it.
type Backend struct {
	// Ingress is "namespace/name" of the Ingress the route comes from.
	Ingress string
	// Service is "namespace/name:port" as the Ingress names it.
	Service string
	// Addrs are the ready endpoints, "ip:port", sorted; empty answers 503.
	Addrs []string
	// ReadTimeout bounds the wait for the backend's response headers.
	ReadTimeout time.Duration
	// MaxBodyBytes is the largest request body (0: no limit).
	MaxBodyBytes int64
	next         atomic.Uint64 // round robin over Addrs
}

// Pick returns the endpoint for attempt (0 first, then retries), turning
// round robin over the ready addresses; "" when there is none.
func (b *Backend) Pick(attempt int) string {
	if len(b.Addrs) == 0 {
		return ""
	}
	if attempt == 0 {
		return b.Addrs[(b.next.Add(1)-1)%uint64(len(b.Addrs))]
	}
	return b.Addrs[(b.next.Load()-1+uint64(attempt))%uint64(len(b.Addrs))]
}

// Route is one path of a host.
type Route struct {
	Path    string
	Exact   bool
	Backend *Backend
}

// matches is Kubernetes' path matching: Exact compares the whole path;
// Prefix compares "/"-separated elements, ignoring a trailing "/" of the
// rule (/foo matches /foo, /foo/ and /foo/bar, not /foobar).
func (r Route) matches(path string) bool {
	if r.Exact {
		return path == r.Path
	}
	p := strings.TrimSuffix(r.Path, "/")
	if p == "" {
		return true
	}
	return path == p || strings.HasPrefix(path, p+"/")
}

// vhost is the routes of one host (or of every host), in match order.
type vhost struct {
	routes []Route
	// fallback is the defaultBackend of the Ingress that defined the
	// host first, for paths no route matches.
	fallback *Backend
}

// Table is an immutable routing table: never changed after Build, so the
// server can swap tables with an atomic pointer.
type Table struct {
	exact     map[string]*vhost // host → routes
	wildcards map[string]*vhost // "foo.com" for a rule "*.foo.com"
	anyHost   *vhost            // rules without a host
	// Default is the defaultBackend of the oldest served Ingress that has
	// one; nil answers 404.
	Default *Backend
	certs   map[string]*cert // SNI name (or "*.foo.com") → certificate
	// Warnings say what could not be served as written (a missing Secret,
	// an unknown service port, …), one line each, sorted.
	Warnings []string
	// Served is how many Ingresses the table serves.
	Served int
}

type cert struct {
	secret string // namespace/name
	tls    *tls.Certificate
}

// Match returns the backend for a request's Host header and path: the
// routes of the exact host, else of a wildcard "*.domain" matching one
// label, else of the rules without host; the longest matching path, Exact
// before Prefix at equal length; else that host's Ingress's
// defaultBackend, else the table's Default (nil: 404).
func (t *Table) Match(host, path string) *Backend {
	if r, ok := t.Route(host, path); ok {
		return r.Backend
	}
	vh := t.vhost(normalizeHost(host))
	if vh != nil && vh.fallback != nil {
		return vh.fallback
	}
	return t.Default
}

// Route returns the rule path that matches a request, if one does.
func (t *Table) Route(host, path string) (Route, bool) {
	if vh := t.vhost(normalizeHost(host)); vh != nil {
		for _, r := range vh.routes {
			if r.matches(path) {
				return r, true
			}
		}
	}
	return Route{}, false
}

func (t *Table) vhost(host string) *vhost {
	if vh := t.exact[host]; vh != nil {
		return vh
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		if vh := t.wildcards[host[i+1:]]; vh != nil {
			return vh
		}
	}
	return t.anyHost
}

// Certificate returns the certificate for a TLS server name: the exact
// name's, else a wildcard's matching one label; nil for none (the server
// then presents its default certificate).
func (t *Table) Certificate(serverName string) *tls.Certificate {
	name := normalizeHost(serverName)
	if c := t.certs[name]; c != nil {
		return c.tls
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if c := t.certs["*"+name[i:]]; c != nil {
			return c.tls
		}
	}
	return nil
}

// normalizeHost drops a port and a trailing dot and lowercases.
func normalizeHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}
