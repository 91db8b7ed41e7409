package disruption

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// DeletionTimeout is how long a pod an eviction recorded in
// status.disruptedPods stays out of currentHealthy while it is not yet
// terminating; past it the controller forgets the entry (Kubernetes'
// DeletionTimeout).
const DeletionTimeout = 2 * time.Minute

// Controller is a pod's controller as the budget counts it: the top-most
// workload with a scale (a Deployment over its ReplicaSet) and its
// spec.replicas.
type Controller struct {
	UID      types.UID
	Replicas int32
}

// ScaleOf finds the controller behind a pod's controller reference, in
// the pod's namespace; false when there is none (the reference dangles or
// names a kind without a scale).
type ScaleOf func(ref metav1.OwnerReference, namespace string) (Controller, bool)

// Event is an event Status asks to record on the budget.
type Event struct {
	Type, Reason, Message string
}

// Result is what the disruption controller concludes for one budget.
type Result struct {
	// Status is the budget's new status.
	Status policyv1.PodDisruptionBudgetStatus
	// Changed: Status differs from the stored one and must be written.
	Changed bool
	// Events to record when writing.
	Events []Event
	// Recheck > 0: run again after that long even if nothing changes
	// (an entry of disruptedPods expires then).
	Recheck time.Duration
}

// Status is Kubernetes' disruption controller for one budget (trySync):
// pods are the pods the budget selects (Selects), scale finds their
// controllers for percentages and maxUnavailable. currentHealthy counts
// the Ready pods that are neither terminating nor recently evicted;
// desiredHealthy is minAvailable (a percentage of expectedPods, rounded
// up) or expectedPods − maxUnavailable (rounded up); expectedPods is the
// pod count for an integer minAvailable, else the sum of the controllers'
// replicas; disruptionsAllowed = currentHealthy − desiredHealthy, never
// below 0 and 0 while expectedPods is 0. A pod without a controller makes
// a percentage or maxUnavailable budget uncountable: disruptionsAllowed 0,
// condition SyncFailed (Kubernetes' failSafe).
func Status(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod, scale ScaleOf, now time.Time) Result {
	now = now.UTC().Truncate(time.Second) // stored times have second precision
	var res Result
	if len(pods) == 0 {
		res.Events = append(res.Events, Event{corev1.EventTypeNormal, "NoPods", "No matching pods found"})
	}
	expected, desired, unmanaged, err := expectedPodCount(pdb, pods, scale)
	if err != nil {
		res.Events = append(res.Events, Event{corev1.EventTypeWarning, "CalculateExpectedPodCountFailed",
			fmt.Sprintf("Failed to calculate the number of expected pods: %v", err)})
		st := *pdb.Status.DeepCopy()
		st.DisruptionsAllowed = 0
		setCondition(&st, metav1.ConditionFalse, policyv1.SyncFailedReason, err.Error(), now)
		res.Status, res.Changed = st, !apiequality.Semantic.DeepEqual(st, pdb.Status)
		return res
	}
	if len(unmanaged) > 0 {
		res.Events = append(res.Events, Event{corev1.EventTypeWarning, "UnmanagedPods", fmt.Sprintf(
			"Pods selected by this PodDisruptionBudget (selector: %v) were found to be unmanaged. As a result, the status of the PDB "+
				"cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set "+
				"\".spec.minAvailable\" field of the PDB to an integer value.", metav1.FormatLabelSelector(pdb.Spec.Selector))})
	}
	disrupted, recheck := disruptedPods(pdb, pods, now)
	healthy := countHealthy(pods, disrupted, now)
	allowed := healthy - desired
	if expected <= 0 || allowed <= 0 {
		allowed = 0
	}
	st := policyv1.PodDisruptionBudgetStatus{
		ObservedGeneration: pdb.Generation,
		DisruptedPods:      disrupted,
		DisruptionsAllowed: allowed,
		CurrentHealthy:     healthy,
		DesiredHealthy:     desired,
		ExpectedPods:       expected,
		Conditions:         append([]metav1.Condition(nil), pdb.Status.Conditions...),
	}
	updateDisruptionAllowedCondition(&st, now)
	res.Status, res.Changed, res.Recheck = st, !apiequality.Semantic.DeepEqual(st, pdb.Status), recheck
	return res
}

// expectedPodCount is Kubernetes' getExpectedPodCount.
func expectedPodCount(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod, scale ScaleOf) (expected, desired int32, unmanaged []string, err error) {
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		if expected, unmanaged, err = expectedScale(pods, scale); err != nil {
			return
		}
		var n int
		if n, err = intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true); err != nil {
			return
		}
		desired = max(expected-int32(n), 0)
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		desired, expected = pdb.Spec.MinAvailable.IntVal, int32(len(pods))
	case pdb.Spec.MinAvailable != nil:
		if expected, unmanaged, err = expectedScale(pods, scale); err != nil {
			return
		}
		var n int
		if n, err = intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true); err != nil {
			return
		}
		desired = int32(n)
	}
	return
}

// expectedScale sums the replicas of the pods' controllers, each once
// (Kubernetes' getExpectedScale). Pods without a controller reference
// are unmanaged; a reference whose controller is not found is an error.
func expectedScale(pods []*corev1.Pod, scale ScaleOf) (int32, []string, error) {
	seen := map[types.UID]int32{}
	var unmanaged []string
	for _, p := range pods {
		ref := metav1.GetControllerOf(p)
		if ref == nil {
			unmanaged = append(unmanaged, p.Name)
			continue
		}
		c, ok := scale(*ref, p.Namespace)
		if !ok {
			return 0, nil, fmt.Errorf("found no controllers for pod %q", p.Name)
		}
		seen[c.UID] = c.Replicas
	}
	var sum int32
	for _, n := range seen {
		sum += n
	}
	return sum, unmanaged, nil
}

// disruptedPods keeps the entries of status.disruptedPods whose pod still
// exists, is not terminating yet and was evicted less than
// DeletionTimeout ago; recheck is when the first kept one expires.
func disruptedPods(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod, now time.Time) (map[string]metav1.Time, time.Duration) {
	out := map[string]metav1.Time{}
	var recheck time.Duration
	for _, p := range pods {
		t, ok := pdb.Status.DisruptedPods[p.Name]
		if !ok || p.DeletionTimestamp != nil {
			continue
		}
		left := t.Add(DeletionTimeout).Sub(now)
		if left < 0 {
			continue
		}
		out[p.Name] = t
		if recheck == 0 || left < recheck {
			recheck = max(left, time.Second)
		}
	}
	if len(out) == 0 {
		return nil, 0 // as stored: an empty map is not written
	}
	return out, recheck
}

// countHealthy counts Ready pods that are not terminating and not in
// disrupted (Kubernetes' countHealthyPods).
func countHealthy(pods []*corev1.Pod, disrupted map[string]metav1.Time, now time.Time) int32 {
	var n int32
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if t, ok := disrupted[p.Name]; ok && t.Add(DeletionTimeout).After(now) {
			continue
		}
		if objects.PodReady(p) {
			n++
		}
	}
	return n
}

// updateDisruptionAllowedCondition is Kubernetes' pdb helper of that
// name: DisruptionAllowed True (SufficientPods) while disruptions are
// allowed, False (InsufficientPods) otherwise.
func updateDisruptionAllowedCondition(st *policyv1.PodDisruptionBudgetStatus, now time.Time) {
	if st.DisruptionsAllowed > 0 {
		setCondition(st, metav1.ConditionTrue, policyv1.SufficientPodsReason, "", now)
		return
	}
	setCondition(st, metav1.ConditionFalse, policyv1.InsufficientPodsReason, "", now)
}

func setCondition(st *policyv1.PodDisruptionBudgetStatus, status metav1.ConditionStatus, reason, message string, now time.Time) {
	if st.Conditions == nil {
		st.Conditions = []metav1.Condition{}
	}
	apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: status,
		Reason: reason, Message: message, ObservedGeneration: st.ObservedGeneration, LastTransitionTime: metav1.NewTime(now)})
}
