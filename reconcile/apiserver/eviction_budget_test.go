package apiserver

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestEvictionHonoursBudgets: a budget with no disruption allowed refuses
// the eviction with 429 in Kubernetes' words and leaves the pod as it
// was (not terminating, not marked); one allowed disruption lets one
// eviction through and is spent in the same transaction; a pod under two
// budgets is a 500, as in Kubernetes.
func TestEvictionHonoursBudgets(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	var pods []*corev1.Pod
	for _, name := range []string{"web-1", "web-2"} {
		p := pod(name, "n1")
		p.Labels = map[string]string{"app": "web"}
		pods = append(pods, p)
	}
	min := intstr.FromInt32(1)
	budget := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &min, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	objects.SetTypeMeta(budget, "PodDisruptionBudget")
	setAllowed := func(n int32) {
		t.Helper()
		if err := st.Update(func(tx *store.Tx) error {
			o, err := tx.Get(objects.KeyOf(budget))
			if err != nil {
				return err
			}
			b := o.(*policyv1.PodDisruptionBudget)
			b.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: b.Generation, CurrentHealthy: 1 + n, DesiredHealthy: 1, ExpectedPods: 2, DisruptionsAllowed: n}
			return tx.UpdateStatus(b)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Update(func(tx *store.Tx) error {
		for _, p := range pods {
			if err := tx.Create(p); err != nil {
				return err
			}
			p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
			if err := tx.UpdateStatus(p); err != nil {
				return err
			}
		}
		return tx.Create(budget)
	}); err != nil {
		t.Fatal(err)
	}

	// Created but not yet seen by the disruption controller
	// (observedGeneration 0 < generation 1): refused too.
	for _, allowed := range []int32{-1, 0} {
		if allowed >= 0 {
			setAllowed(allowed)
		}
		_, err := c.Evict(ctx, "default", "web-1", "")
		if !apierrors.Is(err, apierrors.ReasonTooManyRequests) || err.Error() != "Cannot evict pod as it would violate the pod's disruption budget." {
			t.Fatalf("allowed %d: evict: %v, want 429 in Kubernetes' words", allowed, err)
		}
		o, _ := st.Get(objects.KeyOf(pods[0]))
		if p := o.(*corev1.Pod); p.DeletionTimestamp != nil || len(p.Status.Conditions) != 1 {
			t.Fatalf("a refused eviction changed the pod: %+v", p.Status.Conditions)
		}
	}

	setAllowed(1)
	if ans, err := c.Evict(ctx, "default", "web-1", ""); err != nil || ans != "evicted" {
		t.Fatalf("evict with one disruption allowed: %q %v", ans, err)
	}
	o, _ := st.Get(objects.KeyOf(budget))
	s := o.(*policyv1.PodDisruptionBudget).Status
	if _, recorded := s.DisruptedPods["web-1"]; s.DisruptionsAllowed != 0 || !recorded {
		t.Fatalf("the eviction must spend the disruption and record the pod: %+v", s)
	}
	if _, err := c.Evict(ctx, "default", "web-2", ""); !apierrors.Is(err, apierrors.ReasonTooManyRequests) {
		t.Fatalf("second eviction: %v, want 429", err)
	}

	other := budget.DeepCopy()
	other.Name, other.ResourceVersion, other.UID = "all", "", ""
	other.Spec.Selector = &metav1.LabelSelector{}
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(other) }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Evict(ctx, "default", "web-2", ""); !apierrors.Is(err, apierrors.ReasonInternalError) ||
		err.Error() != "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support." {
		t.Fatalf("a pod under two budgets: %v, want Kubernetes' 500", err)
	}
}
