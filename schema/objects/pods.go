package objects

import corev1 "k8s.io/api/core/v1"

// PodReady is Kubernetes' IsPodReady: the pod's Ready condition is True.
// The controllers (endpoints, ReplicaSets, disruption budgets) and the
// health assessors all count readiness with it.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
