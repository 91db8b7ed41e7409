package controllers

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The set*Condition helpers change a condition only when its status,
// reason or message change, so a steady state rewrites nothing and the
// store sees no update. lastTransitionTime moves only when the status does.

func setDeploymentCondition(conds []appsv1.DeploymentCondition, c appsv1.DeploymentCondition, now metav1.Time) []appsv1.DeploymentCondition {
	for i := range conds {
		if conds[i].Type != c.Type {
			continue
		}
		old := conds[i]
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return conds
		}
		c.LastUpdateTime = now
		c.LastTransitionTime = now
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		out := append([]appsv1.DeploymentCondition(nil), conds...)
		out[i] = c
		return out
	}
	c.LastUpdateTime, c.LastTransitionTime = now, now
	return append(append([]appsv1.DeploymentCondition(nil), conds...), c)
}

func removeDeploymentCondition(conds []appsv1.DeploymentCondition, t appsv1.DeploymentConditionType) []appsv1.DeploymentCondition {
	var out []appsv1.DeploymentCondition
	for _, c := range conds {
		if c.Type != t {
			out = append(out, c)
		}
	}
	return out
}

func setReplicaSetCondition(conds []appsv1.ReplicaSetCondition, c appsv1.ReplicaSetCondition, now metav1.Time) []appsv1.ReplicaSetCondition {
	for i := range conds {
		if conds[i].Type != c.Type {
			continue
		}
		old := conds[i]
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return conds
		}
		c.LastTransitionTime = now
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		out := append([]appsv1.ReplicaSetCondition(nil), conds...)
		out[i] = c
		return out
	}
	c.LastTransitionTime = now
	return append(append([]appsv1.ReplicaSetCondition(nil), conds...), c)
}

func removeReplicaSetCondition(conds []appsv1.ReplicaSetCondition, t appsv1.ReplicaSetConditionType) []appsv1.ReplicaSetCondition {
	var out []appsv1.ReplicaSetCondition
	for _, c := range conds {
		if c.Type != t {
			out = append(out, c)
		}
	}
	return out
}

// SetPodCondition is used by the scheduler runner for PodScheduled.
func setPodCondition(conds []corev1.PodCondition, c corev1.PodCondition, now metav1.Time) ([]corev1.PodCondition, bool) {
	for i := range conds {
		if conds[i].Type != c.Type {
			continue
		}
		old := conds[i]
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return conds, false
		}
		c.LastTransitionTime = now
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		out := append([]corev1.PodCondition(nil), conds...)
		out[i] = c
		return out, true
	}
	c.LastTransitionTime = now
	return append(append([]corev1.PodCondition(nil), conds...), c), true
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
