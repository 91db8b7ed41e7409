package ingress

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/reconcile-dev/reconcile/reconcile/ingressclass"
)

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
	opts := options{readTimeout: ingressclass.DefaultReadTimeout}
	if v, ok := ing.Annotations[ingressclass.AnnotationReadTimeout]; ok {
		if d, err := ingressclass.ParseReadTimeout(v); err != nil {
			b.warn(ing, "%v; using %s", err, ingressclass.DefaultReadTimeout)
		} else {
			opts.readTimeout = d
		}
	}
	if v, ok := ing.Annotations[ingressclass.AnnotationBodySize]; ok {
		if n, err := ingressclass.ParseBodySize(v); err != nil {
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
