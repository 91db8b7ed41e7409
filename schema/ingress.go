package schema

import (
	"fmt"
	"net/netip"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/reconcile-dev/reconcile/reconcile/ingressclass"
)

// ingressChecks are the Kubernetes API server's Ingress rules that relate
// fields (ValidateIngressSpec), plus this controller's annotations.
func ingressChecks(ing *networkingv1.Ingress, add func(string, ...string)) {
	if ing.Spec.DefaultBackend == nil && len(ing.Spec.Rules) == 0 {
		add("either defaultBackend or rules must be specified", "spec")
	}
	if ing.Spec.IngressClassName != nil && ing.Annotations[ingressclass.AnnotationLegacy] != "" {
		add(fmt.Sprintf("can not be set when the class field is also set: remove the deprecated %s annotation or spec.ingressClassName", ingressclass.AnnotationLegacy),
			"metadata", "annotations", ingressclass.AnnotationLegacy)
	}
	for key, err := range ingressclass.AnnotationErrors(ing.Annotations) {
		add(err.Error(), "metadata", "annotations", key)
	}
	if ing.Spec.DefaultBackend != nil {
		backendChecks(*ing.Spec.DefaultBackend, add, "spec", "defaultBackend")
	}
	for i, r := range ing.Spec.Rules {
		ri := fmt.Sprint(i)
		hostChecks(r.Host, add, "spec", "rules", ri, "host")
		if r.HTTP == nil {
			continue
		}
		for j, p := range r.HTTP.Paths {
			pj := fmt.Sprint(j)
			pathChecks(p, add, "spec", "rules", ri, "http", "paths", pj)
			backendChecks(p.Backend, add, "spec", "rules", ri, "http", "paths", pj, "backend")
		}
	}
	for i, t := range ing.Spec.TLS {
		for j, h := range t.Hosts {
			hostChecks(h, add, "spec", "tls", fmt.Sprint(i), "hosts", fmt.Sprint(j))
		}
	}
}

func hostChecks(host string, add func(string, ...string), path ...string) {
	if _, err := netip.ParseAddr(host); err == nil {
		add("must be a DNS name, not an IP address", path...)
	}
}

// pathChecks: Exact and Prefix paths must be absolute and canonical, as
// Kubernetes validates them (ImplementationSpecific only absolute).
func pathChecks(p networkingv1.HTTPIngressPath, add func(string, ...string), prefix ...string) {
	at := func(f string) []string { return append(append([]string(nil), prefix...), f) }
	if p.Path != "" && !strings.HasPrefix(p.Path, "/") {
		add("must be an absolute path: start it with \"/\"", at("path")...)
		return
	}
	if p.PathType == nil || *p.PathType == networkingv1.PathTypeImplementationSpecific {
		return
	}
	if p.Path == "" {
		add(fmt.Sprintf("must be an absolute path: pathType %s needs a path such as \"/\"", *p.PathType), at("path")...)
		return
	}
	for _, bad := range []string{"//", "/./", "/../", "%2f", "%2F"} {
		if strings.Contains(p.Path, bad) {
			add(fmt.Sprintf("must not contain '%s' (pathType %s)", bad, *p.PathType), at("path")...)
		}
	}
	for _, bad := range []string{"/..", "/."} {
		if strings.HasSuffix(p.Path, bad) {
			add(fmt.Sprintf("cannot end with '%s' (pathType %s)", bad, *p.PathType), at("path")...)
		}
	}
}

func backendChecks(b networkingv1.IngressBackend, add func(string, ...string), prefix ...string) {
	if b.Resource != nil {
		return // the schema refuses it with the reason
	}
	at := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
	if b.Service == nil {
		add("required field is missing: service (name and port of the Service receiving the requests)", at("service")...)
		return
	}
	switch {
	case b.Service.Port.Name != "" && b.Service.Port.Number != 0:
		add("may not specify more than 1 port: set port.number or port.name, not both", at("service", "port")...)
	case b.Service.Port.Name == "" && b.Service.Port.Number == 0:
		add("port name or number is required", at("service", "port")...)
	}
}

// ingressClassChecks: reconcile's controller takes no parameters, and a
// parameters reference is namespaced exactly when its scope is Namespace
// (Kubernetes' IngressClass validation).
func ingressClassChecks(c *networkingv1.IngressClass, add func(string, ...string)) {
	p := c.Spec.Parameters
	if p == nil {
		return
	}
	if c.Spec.Controller == ingressclass.Controller {
		add(fmt.Sprintf("the %s controller takes no parameters (its options are Ingress annotations, see the README); remove parameters", ingressclass.Controller), "spec", "parameters")
	}
	scope := ""
	if p.Scope != nil {
		scope = *p.Scope
	}
	switch {
	case scope == networkingv1.IngressClassParametersReferenceScopeNamespace && (p.Namespace == nil || *p.Namespace == ""):
		add("`parameters.scope` is set to 'Namespace': namespace is required", "spec", "parameters", "namespace")
	case scope != networkingv1.IngressClassParametersReferenceScopeNamespace && p.Namespace != nil && *p.Namespace != "":
		add("`parameters.scope` is set to 'Cluster': namespace must not be set", "spec", "parameters", "namespace")
	}
}
