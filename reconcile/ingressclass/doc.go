// Package ingressclass decides which Ingresses reconcile's built-in
// ingress controller serves, with Kubernetes' IngressClass semantics: the
// agents' proxy (agent/ingress) routes them and the controller's status
// step (reconcile/controllers) fills their status.loadBalancer. It also
// parses the annotations that tune an Ingress's routes (annotations.go),
// read by the schema at commit time and by the proxy. Pure.
package ingressclass
