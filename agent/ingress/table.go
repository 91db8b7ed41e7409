package ingress

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/reconcile-dev/reconcile/reconcile/ingressclass"
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

// Build makes the routing table of the Ingresses the built-in controller
// serves (ingressclass.Served). Ingresses are taken oldest first, so when
// two define the same host and path, or the same TLS host, the older one
// wins, as in ingress-nginx; the loser is a warning. Pure.
func Build(s Snapshot) *Table {
	t := &Table{exact: map[string]*vhost{}, wildcards: map[string]*vhost{}, certs: map[string]*cert{}}
	b := builder{t: t, svcs: map[string]*corev1.Service{}, eps: map[string]*corev1.Endpoints{}, secrets: map[string]*corev1.Secret{},
		seen: map[string]string{}}
	for _, o := range s.Services {
		b.svcs[o.Namespace+"/"+o.Name] = o
	}
	for _, o := range s.Endpoints {
		b.eps[o.Namespace+"/"+o.Name] = o
	}
	for _, o := range s.Secrets {
		b.secrets[o.Namespace+"/"+o.Name] = o
	}
	var served []*networkingv1.Ingress
	for _, ing := range s.Ingresses {
		if ingressclass.Served(ing, s.Classes) {
			served = append(served, ing)
		}
	}
	slices.SortFunc(served, func(a, b *networkingv1.Ingress) int {
		return cmp.Or(a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, ing := range served {
		b.add(ing)
	}
	t.Served = len(served)
	for _, vh := range b.allVhosts() {
		slices.SortStableFunc(vh.routes, func(a, b Route) int {
			// Longest path first; at equal length Exact first.
			la, lb := len(strings.TrimSuffix(a.Path, "/")), len(strings.TrimSuffix(b.Path, "/"))
			if la != lb {
				return lb - la
			}
			if a.Exact != b.Exact {
				if a.Exact {
					return -1
				}
				return 1
			}
			return 0
		})
	}
	slices.Sort(t.Warnings)
	return t
}

type builder struct {
	t       *Table
	svcs    map[string]*corev1.Service
	eps     map[string]*corev1.Endpoints
	secrets map[string]*corev1.Secret
	seen    map[string]string // "host path type" → the Ingress that has it
}

func (b *builder) allVhosts() []*vhost {
	var out []*vhost
	for _, vh := range b.t.exact {
		out = append(out, vh)
	}
	for _, vh := range b.t.wildcards {
		out = append(out, vh)
	}
	if b.t.anyHost != nil {
		out = append(out, b.t.anyHost)
	}
	return out
}

func (b *builder) warn(ing *networkingv1.Ingress, format string, args ...any) {
	b.t.Warnings = append(b.t.Warnings, fmt.Sprintf("Ingress %s/%s: ", ing.Namespace, ing.Name)+fmt.Sprintf(format, args...))
}

func (b *builder) add(ing *networkingv1.Ingress) {
	id := ing.Namespace + "/" + ing.Name
	opts := options{readTimeout: DefaultReadTimeout}
	if v, ok := ing.Annotations[AnnotationReadTimeout]; ok {
		if d, err := ParseReadTimeout(v); err != nil {
			b.warn(ing, "%v; using %s", err, DefaultReadTimeout)
		} else {
			opts.readTimeout = d
		}
	}
	if v, ok := ing.Annotations[AnnotationBodySize]; ok {
		if n, err := ParseBodySize(v); err != nil {
			b.warn(ing, "%v; no limit", err)
		} else {
			opts.maxBody = n
		}
	}
	var fallback *Backend
	if ing.Spec.DefaultBackend != nil {
		fallback = b.backend(ing, *ing.Spec.DefaultBackend, opts)
		if fallback != nil && b.t.Default == nil {
			b.t.Default = fallback
		}
	}
	var hosts []string
	for _, rule := range ing.Spec.Rules {
		host := strings.ToLower(rule.Host)
		hosts = append(hosts, host)
		vh := b.vhostFor(host)
		if vh.fallback == nil {
			vh.fallback = fallback
		}
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			path := cmp.Or(p.Path, "/")
			exact := p.PathType != nil && *p.PathType == networkingv1.PathTypeExact
			key := fmt.Sprintf("%s %s %v", host, path, exact)
			if owner, dup := b.seen[key]; dup {
				if owner != id {
					b.warn(ing, "host %q path %q is already routed by Ingress %s (older, so it wins)", host, path, owner)
				}
				continue
			}
			b.seen[key] = id
			be := b.backend(ing, p.Backend, opts)
			if be == nil {
				continue
			}
			vh.routes = append(vh.routes, Route{Path: path, Exact: exact, Backend: be})
		}
	}
	b.addTLS(ing, hosts)
}

type options struct {
	readTimeout time.Duration
	maxBody     int64
}

func (b *builder) vhostFor(host string) *vhost {
	var m map[string]*vhost
	switch {
	case host == "":
		if b.t.anyHost == nil {
			b.t.anyHost = &vhost{}
		}
		return b.t.anyHost
	case strings.HasPrefix(host, "*."):
		m, host = b.t.wildcards, host[2:]
	default:
		m = b.t.exact
	}
	if m[host] == nil {
		m[host] = &vhost{}
	}
	return m[host]
}

// backend resolves an Ingress backend to the Service's ready endpoints:
// the Service port by number or name, then the Endpoints port of the same
// name (as kube-proxy pairs them). A Service or port that does not exist
// gives a backend without addresses (503) and a warning.
func (b *builder) backend(ing *networkingv1.Ingress, ib networkingv1.IngressBackend, o options) *Backend {
	if ib.Service == nil {
		b.warn(ing, "a backend without service is not served (resource backends are not supported)")
		return nil
	}
	portText := ib.Service.Port.Name
	if portText == "" {
		portText = strconv.Itoa(int(ib.Service.Port.Number))
	}
	key := ing.Namespace + "/" + ib.Service.Name
	be := &Backend{Ingress: ing.Namespace + "/" + ing.Name, Service: key + ":" + portText, ReadTimeout: o.readTimeout, MaxBodyBytes: o.maxBody}
	svc := b.svcs[key]
	if svc == nil {
		b.warn(ing, "service %q not found", key)
		return be
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.Protocol != corev1.ProtocolUDP && ((ib.Service.Port.Name != "" && p.Name == ib.Service.Port.Name) ||
			(ib.Service.Port.Name == "" && p.Port == ib.Service.Port.Number)) {
			sp = p
			break
		}
	}
	if sp == nil {
		b.warn(ing, "service %q has no TCP port %s", key, portText)
		return be
	}
	if ep := b.eps[key]; ep != nil {
		for _, ss := range ep.Subsets {
			for _, p := range ss.Ports {
				if p.Name != sp.Name || p.Protocol == corev1.ProtocolUDP {
					continue
				}
				for _, a := range ss.Addresses {
					be.Addrs = append(be.Addrs, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
				}
			}
		}
	}
	slices.Sort(be.Addrs)
	be.Addrs = slices.Compact(be.Addrs)
	return be
}

// addTLS loads the Ingress's certificates: each spec.tls entry's Secret
// (type kubernetes.io/tls, keys tls.crt and tls.key) for its hosts, or for
// the hosts of the Ingress's rules when it lists none.
func (b *builder) addTLS(ing *networkingv1.Ingress, ruleHosts []string) {
	for _, entry := range ing.Spec.TLS {
		if entry.SecretName == "" {
			continue // the controller's default certificate, as ingress-nginx
		}
		key := ing.Namespace + "/" + entry.SecretName
		s := b.secrets[key]
		if s == nil {
			b.warn(ing, "TLS secret %q not found; its hosts get the default certificate", key)
			continue
		}
		pair, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
		if err != nil {
			b.warn(ing, "TLS secret %q: %v (a kubernetes.io/tls Secret needs tls.crt and tls.key in PEM); its hosts get the default certificate", key, err)
			continue
		}
		hosts := entry.Hosts
		if len(hosts) == 0 {
			hosts = ruleHosts
		}
		for _, h := range hosts {
			h = strings.ToLower(h)
			if h == "" {
				continue
			}
			if c, taken := b.t.certs[h]; taken {
				if c.secret != key {
					b.warn(ing, "TLS host %q already has the certificate of secret %q (of an older Ingress or listed before), which it keeps", h, c.secret)
				}
				continue
			}
			b.t.certs[h] = &cert{secret: key, tls: &pair}
		}
	}
}

// SecretsReferenced lists "namespace/name" of the TLS Secrets the served
// Ingresses name: what the agent must read.
func SecretsReferenced(ings []*networkingv1.Ingress, classes []*networkingv1.IngressClass) []string {
	var out []string
	for _, ing := range ings {
		if !ingressclass.Served(ing, classes) {
			continue
		}
		for _, e := range ing.Spec.TLS {
			if e.SecretName != "" {
				out = append(out, ing.Namespace+"/"+e.SecretName)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
