// Package ingressclass decides which Ingresses reconcile's built-in
// ingress controller serves, with Kubernetes' IngressClass semantics: the
// agents' proxy (agent/ingress) routes them and the controller's status
// step (reconcile/controllers) fills their status.loadBalancer. Pure.
package ingressclass
