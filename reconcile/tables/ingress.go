package tables

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// ingressRow is kubectl's table for Ingresses: NAME CLASS HOSTS ADDRESS PORTS AGE.
func ingressRow(ing *networkingv1.Ingress, age string) (header, cols []string) {
	class := "<none>"
	if ing.Spec.IngressClassName != nil {
		class = *ing.Spec.IngressClassName
	}
	var hosts []string
	for _, r := range ing.Spec.Rules {
		if r.Host == "" {
			r.Host = "*"
		}
		hosts = append(hosts, r.Host)
	}
	if len(hosts) == 0 {
		hosts = []string{"*"}
	}
	var addrs []string
	for _, a := range ing.Status.LoadBalancer.Ingress {
		addrs = append(addrs, a.IP+a.Hostname)
	}
	ports := "80"
	if len(ing.Spec.TLS) > 0 {
		ports = "80, 443"
	}
	return []string{"NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"},
		[]string{ing.Name, class, strings.Join(hosts, ","), strings.Join(addrs, ","), ports, age}
}

// ingressClassRow is kubectl's table for IngressClasses.
func ingressClassRow(c *networkingv1.IngressClass, age string) (header, cols []string) {
	params := "<none>"
	if p := c.Spec.Parameters; p != nil {
		params = p.Kind + "/" + p.Name
	}
	return []string{"NAME", "CONTROLLER", "PARAMETERS", "AGE"}, []string{c.Name, c.Spec.Controller, params, age}
}
