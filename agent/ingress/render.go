package ingress

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/ingressclass"
)

// String renders the table for golden files and logs: hosts in order
// (exact, wildcard, any), their routes in match order, the default
// backend, the certificates by name, the warnings.
func (t *Table) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "served ingresses: %d\n", t.Served)
	writeVhost := func(name string, vh *vhost) {
		fmt.Fprintf(&b, "host %s\n", name)
		for _, r := range vh.routes {
			typ := "Prefix"
			if r.Exact {
				typ = "Exact"
			}
			fmt.Fprintf(&b, "  %-6s %-20s -> %s\n", typ, r.Path, r.Backend)
		}
		if vh.fallback != nil {
			fmt.Fprintf(&b, "  (no match)                  -> %s\n", vh.fallback)
		}
	}
	for _, h := range slices.Sorted(maps.Keys(t.exact)) {
		writeVhost(h, t.exact[h])
	}
	for _, h := range slices.Sorted(maps.Keys(t.wildcards)) {
		writeVhost("*."+h, t.wildcards[h])
	}
	if t.anyHost != nil {
		writeVhost("*", t.anyHost)
	}
	if t.Default != nil {
		fmt.Fprintf(&b, "default -> %s\n", t.Default)
	} else {
		b.WriteString("default -> 404\n")
	}
	for _, h := range slices.Sorted(maps.Keys(t.certs)) {
		fmt.Fprintf(&b, "tls %s: secret %s\n", h, t.certs[h].secret)
	}
	for _, w := range t.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// String is "service [addr addr …] (ingress ns/name, options)".
func (be *Backend) String() string {
	addrs := "no ready endpoints: 503"
	if len(be.Addrs) > 0 {
		addrs = strings.Join(be.Addrs, " ")
	}
	opts := ""
	if be.ReadTimeout != ingressclass.DefaultReadTimeout {
		opts += " read-timeout=" + be.ReadTimeout.String()
	}
	if be.MaxBodyBytes > 0 {
		opts += fmt.Sprintf(" body-size=%d", be.MaxBodyBytes)
	}
	return fmt.Sprintf("%s [%s] (%s%s)", be.Service, addrs, be.Ingress, opts)
}
