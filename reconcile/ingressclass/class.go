package ingressclass

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
)

const (
	// Controller is the spec.controller of the IngressClasses the agents'
	// built-in proxy serves.
	Controller = "reconcile.dev/ingress"
	// AnnotationDefault marks the class of Ingresses that name none
	// (Kubernetes' DefaultIngressClass admission).
	AnnotationDefault = networkingv1.AnnotationIsDefaultIngressClass
	// AnnotationLegacy is the class annotation from before
	// spec.ingressClassName (deprecated, still honoured by controllers).
	AnnotationLegacy = "kubernetes.io/ingress.class"
)

// Served reports whether the built-in controller serves ing:
//   - its class (spec.ingressClassName, else the deprecated annotation)
//     names an IngressClass whose controller is reconcile.dev/ingress;
//   - it names no class and the default class is ours, or there is no
//     default class at all: reconcile's controller is built in, the one
//     controller of a cluster unless the user installs another (k3s'
//     Traefik serves class-less Ingresses the same way).
//
// An Ingress of another class, or of a class that does not exist, is
// stored but not served, as in Kubernetes.
func Served(ing *networkingv1.Ingress, classes []*networkingv1.IngressClass) bool {
	name := ClassOf(ing)
	if name == "" {
		defaults := Defaults(classes)
		return len(defaults) == 0 || slices.ContainsFunc(defaults, ours)
	}
	for _, c := range classes {
		if c.Name == name {
			return ours(c)
		}
	}
	return false
}

// ClassOf is the class an Ingress names ("" for none).
func ClassOf(ing *networkingv1.Ingress) string {
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		return *ing.Spec.IngressClassName
	}
	return ing.Annotations[AnnotationLegacy]
}

// Defaults are the classes annotated as the default.
func Defaults(classes []*networkingv1.IngressClass) []*networkingv1.IngressClass {
	var out []*networkingv1.IngressClass
	for _, c := range classes {
		if c.Annotations[AnnotationDefault] == "true" {
			out = append(out, c)
		}
	}
	return out
}

func ours(c *networkingv1.IngressClass) bool { return c.Spec.Controller == Controller }
