package disruption

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// RefusedMessage is Kubernetes' answer (429 TooManyRequests) to an
// eviction a budget forbids; `kubectl drain` and `reconcile drain` retry
// on it.
const RefusedMessage = "Cannot evict pod as it would violate the pod's disruption budget."

// MaxDisruptedPods bounds status.disruptedPods: evictions the controller
// has not confirmed yet (Kubernetes' MaxDisruptedPodSize).
const MaxDisruptedPods = 2000

// Evict is the eviction API's budget check (Kubernetes' EvictionREST
// Create and checkAndDecrement) for pod under pdbs, the budgets of its
// namespace. It returns the budget to write in the same transaction as
// the pod's deletion (disruptionsAllowed decremented, the pod recorded in
// disruptedPods) or nil when no budget changes, and an error when the
// eviction is refused:
//   - a pod that is Pending, Succeeded, Failed or already terminating is
//     evicted without looking at budgets;
//   - more than one budget covering the pod: 500, Kubernetes' words;
//   - a pod that is not Ready goes without using the budget when the
//     budget's unhealthyPodEvictionPolicy is AlwaysAllow, or (the default,
//     IfHealthyBudget) while currentHealthy ≥ desiredHealthy > 0;
//   - a budget whose status is older than its spec (observedGeneration <
//     generation), or with no disruption allowed: 429 RefusedMessage.
func Evict(pdbs []*policyv1.PodDisruptionBudget, pod *corev1.Pod, now time.Time) (*policyv1.PodDisruptionBudget, error) {
	switch {
	case pod.DeletionTimestamp != nil, pod.Status.Phase == corev1.PodPending,
		pod.Status.Phase == corev1.PodSucceeded, pod.Status.Phase == corev1.PodFailed:
		return nil, nil
	}
	covering := For(pdbs, pod)
	switch {
	case len(covering) == 0:
		return nil, nil
	case len(covering) > 1:
		return nil, apierrors.New(apierrors.ReasonInternalError, "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
	}
	pdb := covering[0]
	if !objects.PodReady(pod) {
		if p := pdb.Spec.UnhealthyPodEvictionPolicy; p != nil && *p == policyv1.AlwaysAllow {
			return nil, nil
		}
		if pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy && pdb.Status.DesiredHealthy > 0 {
			return nil, nil
		}
	}
	switch {
	case pdb.Status.ObservedGeneration < pdb.Generation:
		return nil, apierrors.New(apierrors.ReasonTooManyRequests, RefusedMessage)
	case pdb.Status.DisruptionsAllowed < 0:
		return nil, apierrors.New(apierrors.ReasonForbidden, "poddisruptionbudgets.policy %q is forbidden: pdb disruptions allowed is negative", pdb.Name)
	case len(pdb.Status.DisruptedPods) > MaxDisruptedPods:
		return nil, apierrors.New(apierrors.ReasonForbidden, "poddisruptionbudgets.policy %q is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller", pdb.Name)
	case pdb.Status.DisruptionsAllowed == 0:
		return nil, apierrors.New(apierrors.ReasonTooManyRequests, RefusedMessage)
	}
	out := pdb.DeepCopy()
	now = now.UTC().Truncate(time.Second)
	out.Status.DisruptionsAllowed--
	if out.Status.DisruptionsAllowed == 0 {
		updateDisruptionAllowedCondition(&out.Status, now)
	}
	if out.Status.DisruptedPods == nil {
		out.Status.DisruptedPods = map[string]metav1.Time{}
	}
	out.Status.DisruptedPods[pod.Name] = metav1.NewTime(now)
	return out, nil
}
