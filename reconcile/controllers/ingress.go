package controllers

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	"github.com/reconcile-dev/reconcile/reconcile/ingressclass"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// IngressAddresses is what status.loadBalancer.ingress of an Ingress the
// built-in controller serves lists: the address of every Ready node,
// whose agent's proxy answers on ports 80 and 443 (ExternalIP when the
// node has one, else InternalIP; as k3s' ServiceLB fills the status),
// sorted. Pure.
func IngressAddresses(nodes []*corev1.Node) []networkingv1.IngressLoadBalancerIngress {
	var ips []string
	for _, n := range nodes {
		if n.DeletionTimestamp != nil {
			continue
		}
		if !isNodeReady(n) {
			continue
		}
		if ip := nodeAddress(n); ip != "" {
			ips = append(ips, ip)
		}
	}
	slices.Sort(ips)
	ips = slices.Compact(ips)
	out := make([]networkingv1.IngressLoadBalancerIngress, 0, len(ips))
	for _, ip := range ips {
		out = append(out, networkingv1.IngressLoadBalancerIngress{IP: ip})
	}
	return out
}

// ReconcileIngressStatus writes the node addresses into the status of an
// Ingress the built-in controller serves; Ingresses of other classes are
// another controller's to fill, as in Kubernetes. Pure.
func ReconcileIngressStatus(ing *networkingv1.Ingress, classes []*networkingv1.IngressClass, nodes []*corev1.Node) Changes {
	if ing.DeletionTimestamp != nil || !ingressclass.Served(ing, classes) {
		return Changes{}
	}
	want := IngressAddresses(nodes)
	if len(want) == 0 && len(ing.Status.LoadBalancer.Ingress) == 0 {
		return Changes{}
	}
	if apiequality.Semantic.DeepEqual(want, ing.Status.LoadBalancer.Ingress) {
		return Changes{}
	}
	out := ing.DeepCopy()
	out.Status.LoadBalancer.Ingress = want
	return Changes{UpdateStatus: []objects.Object{out}}
}

func ingressStep(in Inputs, ing *networkingv1.Ingress) Changes {
	return ReconcileIngressStatus(ing, typed[*networkingv1.IngressClass](in.cache.byKind["IngressClass"]), in.cache.nodes())
}

// onNodeAddressChange queues every Ingress when a node's address or
// readiness changes (not on each heartbeat).
func onNodeAddressChange(c *cache, old, cur objects.Object) []objects.Key {
	o, _ := old.(*corev1.Node)
	n, _ := cur.(*corev1.Node)
	if o != nil && n != nil && nodeAddress(o) == nodeAddress(n) && readyStatus(o) == readyStatus(n) {
		return nil
	}
	return slices.Collect(maps.Keys(c.byKind["Ingress"]))
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	if c := nodeReady(n); c != nil {
		return c.Status
	}
	return ""
}
