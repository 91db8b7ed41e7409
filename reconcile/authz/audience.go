package authz

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Audience is the set of nodes that may see one object: Visibility asked
// for every node at once. The API server's watch fan-out routes an event
// to the watches of these nodes only, instead of asking Visibility once
// per event and per watch (150,000 pods × 5,000 nodes).
type Audience struct {
	// Every node may see the object (Nodes, Services, Endpoints,
	// Ingresses, IngressClasses, the Secrets an Ingress names for TLS).
	Every bool
	// Nodes may see it, when not Every.
	Nodes map[string]bool
}

// Has reports whether node is in the audience.
func (a Audience) Has(node string) bool { return a.Every || a.Nodes[node] }

// NeedsPods reports whether AudienceOf needs the pods of the object's
// namespace: only for a ConfigMap or a Secret, whose readers are the
// nodes of the pods that reference it.
func NeedsPods(o objects.Object) bool {
	switch o.(type) {
	case *corev1.ConfigMap, *corev1.Secret:
		return true
	}
	return false
}

// everyNodeSees: the kinds every node reads whole (its service proxy,
// ingress proxy and pod network need them).
func everyNodeSees(o objects.Object) bool {
	switch o.(type) {
	case *corev1.Node, *corev1.Service, *corev1.Endpoints, *networkingv1.Ingress, *networkingv1.IngressClass:
		return true
	}
	return false
}

// AudienceOf is the set of nodes for which Visibility(node)(o) holds.
// pods are the pods of o's namespace (bound or not; others are skipped),
// needed only when NeedsPods(o); g answers for Ingresses and for the
// controllers of adopted pods, as for Visibility.
func AudienceOf(o objects.Object, pods []*corev1.Pod, g Graph) (Audience, error) {
	switch o := o.(type) {
	case *corev1.Pod:
		if o.Spec.NodeName == "" {
			return Audience{}, nil
		}
		return Audience{Nodes: map[string]bool{o.Spec.NodeName: true}}, nil
	case *corev1.ConfigMap, *corev1.Secret:
	default:
		return Audience{Every: everyNodeSees(o)}, nil
	}
	ns, name := o.GetNamespace(), o.GetName()
	_, isSecret := o.(*corev1.Secret)
	if isSecret {
		ings, err := g.Ingresses(ns)
		if err != nil {
			return Audience{}, err
		}
		for _, ing := range ings {
			for _, t := range ing.Spec.TLS {
				if t.SecretName == name {
					return Audience{Every: true}, nil
				}
			}
		}
	}
	out := Audience{Nodes: map[string]bool{}}
	for _, p := range pods {
		if p.Namespace != ns || p.Spec.NodeName == "" || out.Nodes[p.Spec.NodeName] {
			continue
		}
		r, err := granted(p, g)
		if err != nil {
			return Audience{}, err
		}
		if (isSecret && r.Secrets[name]) || (!isSecret && r.ConfigMaps[name]) {
			out.Nodes[p.Spec.NodeName] = true
		}
	}
	return out, nil
}
