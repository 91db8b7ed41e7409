package disruption

import (
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Selects reports whether the budget covers the pod: same namespace and
// a selector that matches its labels. As in policy/v1, a budget without a
// selector covers no pod and an empty selector ({}) every pod of its
// namespace; a selector that does not parse covers none (validation
// refuses it before it is stored).
func Selects(pdb *policyv1.PodDisruptionBudget, pod *corev1.Pod) bool {
	if pdb.Namespace != pod.Namespace || pdb.Spec.Selector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	return err == nil && sel.Matches(labels.Set(pod.Labels))
}

// For returns the budgets of pdbs that cover the pod.
func For(pdbs []*policyv1.PodDisruptionBudget, pod *corev1.Pod) []*policyv1.PodDisruptionBudget {
	var out []*policyv1.PodDisruptionBudget
	for _, b := range pdbs {
		if Selects(b, pod) {
			out = append(out, b)
		}
	}
	return out
}
