package authz

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Admit checks the body a node writes once Authorize allowed the request,
// as Kubernetes' NodeRestriction admission plugin does: a node registers
// only itself and never sets spec.podCIDR (the controller assigns it; the
// API server also keeps a registered node's taints and unschedulable, which
// a node may not change), adopts only pods bound to itself, and posts
// events only about its own Node or its own pods (an event of the same name
// about another object is not its to count again). obj is the decoded body, old the stored object it
// replaces (nil when there is none). Other roles pass. The error is an
// apierrors Forbidden (403) saying why.
func Admit(id Identity, a Attributes, obj, old objects.Object, g Graph) error {
	if id.Role != RoleNode {
		return nil
	}
	n := id.Node
	forbid := func(why string) error {
		return apierrors.New(apierrors.ReasonForbidden, "%s", deny(id, a, why).Message)
	}
	switch o := obj.(type) {
	case *corev1.Node:
		if o.Name != n {
			return forbid(fmt.Sprintf("node %s may register only itself, not %q", n, o.Name))
		}
		var stored corev1.NodeSpec
		if on, ok := old.(*corev1.Node); ok {
			stored = on.Spec
		}
		if (o.Spec.PodCIDR != "" && o.Spec.PodCIDR != stored.PodCIDR) || (len(o.Spec.PodCIDRs) > 0 && fmt.Sprint(o.Spec.PodCIDRs) != fmt.Sprint(stored.PodCIDRs)) {
			return forbid(fmt.Sprintf("node %s may not set spec.podCIDR: the controller assigns it", n))
		}
	case *corev1.Pod:
		if o.Spec.NodeName != n {
			return forbid(fmt.Sprintf("node %s may adopt only pods bound to it, not pod %s/%s with spec.nodeName %q", n, o.Namespace, o.Name, o.Spec.NodeName))
		}
	case *corev1.Event:
		io := o.InvolvedObject
		if oe, ok := old.(*corev1.Event); ok && !sameObjectRef(oe.InvolvedObject, io) {
			return forbid(fmt.Sprintf("event %s/%s is about %s %s/%s: a node may count again only its own events", o.Namespace, o.Name, oe.InvolvedObject.Kind, oe.InvolvedObject.Namespace, oe.InvolvedObject.Name))
		}
		switch io.Kind {
		case "Node":
			if io.Name == n {
				return nil
			}
			return forbid(fmt.Sprintf("node %s may post events about its own Node only, not about node %q", n, io.Name))
		case "Pod":
			if io.Namespace != o.Namespace {
				return forbid(fmt.Sprintf("the event's namespace %q is not its pod's %q", o.Namespace, io.Namespace))
			}
			bound, err := podBound(g, n, io.Namespace, io.Name)
			if err != nil {
				return err
			}
			if !bound {
				return forbid(fmt.Sprintf("no pod %s/%s is bound to node %s", io.Namespace, io.Name, n))
			}
		default:
			return forbid(fmt.Sprintf("node %s may post events about its Node and its pods only, not about a %s", n, io.Kind))
		}
	default:
		return forbid(fmt.Sprintf("node %s may not write a %s", n, objects.KindOf(obj)))
	}
	return nil
}

func sameObjectRef(a, b corev1.ObjectReference) bool {
	return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

// AdmitUsage checks a node's usage report (PUT /api/v1/nodes/{name}/usage)
// once Authorize allowed it for the node's own name: a node reports usage
// only for pods bound to it (a pod bound to another node is refused, 403).
// Pods that no longer exist, or exist under another uid, are dropped from
// the returned report: the agent saw them before they went. Every role's
// report is filtered that way; only a node is refused.
func AdmitUsage(id Identity, a Attributes, r podmetrics.NodeReport, g Graph) (podmetrics.NodeReport, error) {
	out := podmetrics.NodeReport{Node: r.Node}
	for _, pm := range r.Pods {
		p, err := g.Pod(pm.Namespace, pm.Name)
		if err != nil {
			return out, fmt.Errorf("admitting the usage of node %s: reading pod %s/%s: %w", r.Node, pm.Namespace, pm.Name, err)
		}
		if p == nil || (pm.UID != "" && p.UID != pm.UID) {
			continue
		}
		if p.Spec.NodeName != r.Node {
			if id.Role == RoleNode {
				return out, apierrors.New(apierrors.ReasonForbidden, "%s", deny(id, a, fmt.Sprintf("node %s may report usage only for pods bound to it, not pod %s/%s on node %q", r.Node, pm.Namespace, pm.Name, p.Spec.NodeName)).Message)
			}
			continue
		}
		out.Pods = append(out.Pods, pm)
	}
	return out, nil
}
