package quota

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// selectors are a quota's scopes and scopeSelector as one list of
// requirements (a scope in spec.scopes is the requirement "Exists", as
// Kubernetes' getScopeSelectorsFromQuota).
func selectors(q *corev1.ResourceQuota) []corev1.ScopedResourceSelectorRequirement {
	var out []corev1.ScopedResourceSelectorRequirement
	for _, s := range q.Spec.Scopes {
		out = append(out, corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists})
	}
	if q.Spec.ScopeSelector != nil {
		out = append(out, q.Spec.ScopeSelector.MatchExpressions...)
	}
	return out
}

// Matches reports whether q counts o: a quota without scopes counts every
// object of its namespace; a scoped one only the pods every requirement
// matches.
func Matches(q *corev1.ResourceQuota, o objects.Object) bool {
	if o.GetNamespace() != q.Namespace {
		return false
	}
	sel := selectors(q)
	if len(sel) == 0 {
		return true
	}
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return false
	}
	for _, r := range sel {
		if !podMatchesScope(pod, r) {
			return false
		}
	}
	return true
}

// podMatchesScope is Kubernetes' podMatchesScopeFunc.
func podMatchesScope(pod *corev1.Pod, r corev1.ScopedResourceSelectorRequirement) bool {
	switch r.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
	case corev1.ResourceQuotaScopeNotTerminating:
		return pod.Spec.ActiveDeadlineSeconds == nil || *pod.Spec.ActiveDeadlineSeconds < 0
	case corev1.ResourceQuotaScopeBestEffort:
		return IsBestEffort(pod)
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !IsBestEffort(pod)
	case corev1.ResourceQuotaScopePriorityClass:
		name := pod.Spec.PriorityClassName
		switch r.Operator {
		case corev1.ScopeSelectorOpExists:
			return name != ""
		case corev1.ScopeSelectorOpDoesNotExist:
			return name == ""
		case corev1.ScopeSelectorOpIn:
			return slices.Contains(r.Values, name)
		case corev1.ScopeSelectorOpNotIn:
			return !slices.Contains(r.Values, name)
		}
	}
	return false
}
