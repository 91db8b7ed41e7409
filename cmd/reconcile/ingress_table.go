package main

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/reconcile-dev/reconcile/reconcile/tables"
)

// describeIngress is kubectl's describe of an Ingress: class, addresses,
// default backend, TLS, and a Host/Path/Backends table.
func describeIngress(d *describer, ing *networkingv1.Ingress) {
	_, cols := tables.Row(ing, false)
	d.field(0, "Ingress Class", "%s", cols[1])
	d.field(0, "Address", "%s", cols[3])
	backend := func(b *networkingv1.IngressBackend) string {
		if b == nil || b.Service == nil {
			return "<default>"
		}
		port := b.Service.Port.Name
		if port == "" {
			port = fmt.Sprint(b.Service.Port.Number)
		}
		return b.Service.Name + ":" + port
	}
	if ing.Spec.DefaultBackend != nil {
		d.field(0, "Default backend", "%s", backend(ing.Spec.DefaultBackend))
	} else {
		d.field(0, "Default backend", "<default> (404)")
	}
	for _, t := range ing.Spec.TLS {
		d.field(0, "TLS", "%s terminates %s", t.SecretName, strings.Join(t.Hosts, ","))
	}
	var rows [][]string
	for _, r := range ing.Spec.Rules {
		host := r.Host
		if host == "" {
			host = "*"
		}
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			typ := ""
			if p.PathType != nil {
				typ = " (" + string(*p.PathType) + ")"
			}
			rows = append(rows, []string{host, p.Path + typ, backend(&p.Backend)})
		}
	}
	d.line(0, "Rules:")
	d.table(1, "Host\tPath\tBackends", rows)
}
