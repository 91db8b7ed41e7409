package controllers

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestDisruptionStep runs the PodDisruptionBudget step over a
// Deployment's pods: maxUnavailable counts the Deployment's replicas
// (through the pods' ReplicaSet), so scaling the Deployment up before its
// pods exist leaves no disruption allowed; pod events reach the budget.
func TestDisruptionStep(t *testing.T) {
	w := newWorld(t)
	d := deployment("web", 3, "img:v1")
	w.create(d)
	w.settle()
	mu := intstr.FromInt32(1)
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &mu, Selector: d.Spec.Selector}}
	objects.SetTypeMeta(pdb, "PodDisruptionBudget")
	w.create(pdb)
	run := func() *policyv1.PodDisruptionBudget {
		t.Helper()
		c := newCache()
		for _, o := range w.objs {
			c.put(o)
		}
		cur := w.objs[objects.KeyOf(pdb)].(*policyv1.PodDisruptionBudget)
		ch := pdbStep(Inputs{Now: w.now, Component: pdbComponent, cache: c}, cur)
		w.apply(ch)
		if keys := budgetsSelecting(c, nil, w.pods()[0]); len(keys) != 1 || keys[0] != objects.KeyOf(pdb) {
			t.Fatalf("a pod event queues %v", keys)
		}
		return w.objs[objects.KeyOf(pdb)].(*policyv1.PodDisruptionBudget)
	}
	got := run()
	if s := got.Status; s.ExpectedPods != 3 || s.DesiredHealthy != 2 || s.CurrentHealthy != 3 || s.DisruptionsAllowed != 1 ||
		s.ObservedGeneration != 1 || s.Conditions[0].Reason != policyv1.SufficientPodsReason {
		t.Fatalf("3 ready replicas, maxUnavailable 1: %+v", s)
	}
	rv := got.ResourceVersion
	if run(); w.objs[objects.KeyOf(pdb)].GetResourceVersion() != rv {
		t.Fatal("an unchanged budget was written again")
	}
	// The Deployment grows to 4 before its new pod exists: desired 3 of
	// 4 expected, 3 healthy, nothing allowed.
	dep := w.objs[objects.KeyOf(d)].(*appsv1.Deployment)
	dep.Spec.Replicas = ptr.To[int32](4)
	if s := run().Status; s.ExpectedPods != 4 || s.DesiredHealthy != 3 || s.DisruptionsAllowed != 0 || s.Conditions[0].Reason != policyv1.InsufficientPodsReason {
		t.Fatalf("scaled to 4 with 3 pods: %+v", s)
	}
	// A pod turning unready is seen at once.
	p := w.pods()[0]
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	if s := run().Status; s.CurrentHealthy != 2 {
		t.Fatalf("one pod unready: %+v", s)
	}
}
