package disruption

import (
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Violating splits candidate victims of a preemption (most important
// first) into those whose deletion would exceed a budget's
// disruptionsAllowed and the others, taking the victims in order and
// spending each budget as it goes (Kubernetes' filterPodsWithPDBViolation).
// A pod already in a budget's disruptedPods has been counted by the
// eviction API and does not spend it again. As in the scheduler of
// Kubernetes, a budget with an empty selector covers nothing here.
func Violating(pods []*corev1.Pod, pdbs []*policyv1.PodDisruptionBudget) (violating, nonViolating []*corev1.Pod) {
	allowed := make([]int32, len(pdbs))
	for i, b := range pdbs {
		allowed[i] = b.Status.DisruptionsAllowed
	}
	for _, p := range pods {
		violated := false
		for i, b := range pdbs {
			if len(p.Labels) == 0 || b.Namespace != p.Namespace || b.Spec.Selector == nil {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			if _, ok := b.Status.DisruptedPods[p.Name]; ok {
				continue
			}
			allowed[i]--
			if allowed[i] < 0 {
				violated = true
			}
		}
		if violated {
			violating = append(violating, p)
		} else {
			nonViolating = append(nonViolating, p)
		}
	}
	return violating, nonViolating
}
