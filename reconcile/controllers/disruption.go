package controllers

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/disruption"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The PodDisruptionBudget entry of the registry: Kubernetes' disruption
// controller. A budget's status follows its own changes, the changes of
// every pod it selects before or after the change, and the scale of the
// workloads of its namespace (percentages and maxUnavailable count their
// replicas). The eviction API decrements disruptionsAllowed in the
// eviction's transaction; this step recomputes it from the pods.

// pdbComponent is the source of the disruption controller's events, as
// Kubernetes names it.
const pdbComponent = "controllermanager"

// pdbStep writes the budget's status (disruption.Status) when it changed,
// with its events, and runs again when an entry of disruptedPods expires.
func pdbStep(in Inputs, pdb *policyv1.PodDisruptionBudget) Changes {
	res := disruption.Status(pdb, in.cache.podsOfBudget(pdb), in.cache.scaleOf, in.Now)
	var ch Changes
	if res.Changed {
		upd := pdb.DeepCopy()
		upd.Status = res.Status
		ch.UpdateStatus = append(ch.UpdateStatus, upd)
		for _, e := range res.Events {
			ch.Event(pdb, in.Component, e.Type, e.Reason, e.Message, in.Now)
		}
	}
	ch.requeueAfter(res.Recheck)
	return ch
}

// podsOfBudget returns the cached pods the budget selects.
func (c *cache) podsOfBudget(pdb *policyv1.PodDisruptionBudget) []*corev1.Pod {
	candidates := c.pods()
	if sel := pdb.Spec.Selector; sel != nil && len(sel.MatchLabels) > 0 {
		candidates = c.podsSelectable(pdb.Namespace, sel.MatchLabels)
	}
	var out []*corev1.Pod
	for _, p := range candidates {
		if disruption.Selects(pdb, p) {
			out = append(out, p)
		}
	}
	return out
}

// scaleOf finds a pod's controller as the disruption controller counts
// it (Kubernetes' finders): a ReplicaSet's Deployment, else the
// ReplicaSet, or a StatefulSet, each only if its uid is the reference's.
// Other kinds (DaemonSet, Job) have no scale.
func (c *cache) scaleOf(ref metav1.OwnerReference, namespace string) (disruption.Controller, bool) {
	switch ref.Kind {
	case "ReplicaSet":
		rs, ok := c.get(objects.Key{Kind: "ReplicaSet", Namespace: namespace, Name: ref.Name}).(*appsv1.ReplicaSet)
		if !ok || rs.UID != ref.UID {
			return disruption.Controller{}, false
		}
		if dref := metav1.GetControllerOfNoCopy(rs); dref != nil && dref.Kind == "Deployment" {
			d, ok := c.get(objects.Key{Kind: "Deployment", Namespace: namespace, Name: dref.Name}).(*appsv1.Deployment)
			if !ok || d.UID != dref.UID {
				return disruption.Controller{}, false
			}
			return disruption.Controller{UID: d.UID, Replicas: replicasOf(d.Spec.Replicas)}, true
		}
		return disruption.Controller{UID: rs.UID, Replicas: replicasOf(rs.Spec.Replicas)}, true
	case "StatefulSet":
		s, ok := c.get(objects.Key{Kind: "StatefulSet", Namespace: namespace, Name: ref.Name}).(*appsv1.StatefulSet)
		if !ok || s.UID != ref.UID {
			return disruption.Controller{}, false
		}
		return disruption.Controller{UID: s.UID, Replicas: replicasOf(s.Spec.Replicas)}, true
	}
	return disruption.Controller{}, false
}

// budgetsSelecting maps a pod event to the budgets of its namespace that
// select the pod before or after the change.
func budgetsSelecting(c *cache, old, cur objects.Object) []objects.Key {
	var out []objects.Key
	for _, o := range []objects.Object{old, cur} {
		p, ok := o.(*corev1.Pod)
		if !ok {
			continue
		}
		for k, b := range c.byKind["PodDisruptionBudget"] {
			if k.Namespace == p.Namespace && disruption.Selects(b.(*policyv1.PodDisruptionBudget), p) {
				out = append(out, k)
			}
		}
	}
	return out
}

// budgetsOfNamespace maps a workload event (its scale may have changed)
// to every budget of its namespace.
func budgetsOfNamespace(c *cache, old, cur objects.Object) []objects.Key {
	o := cur
	if o == nil {
		o = old
	}
	var out []objects.Key
	for k := range c.byKind["PodDisruptionBudget"] {
		if k.Namespace == o.GetNamespace() {
			out = append(out, k)
		}
	}
	return out
}

// budgets returns the cached budgets (the scheduler's preemption reads them).
func (c *cache) budgets() []*policyv1.PodDisruptionBudget {
	return typed[*policyv1.PodDisruptionBudget](c.byKind["PodDisruptionBudget"])
}
