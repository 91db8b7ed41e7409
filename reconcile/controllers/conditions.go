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
	c.LastUpdateTime = now // kept only when nothing changes, as setCondition keeps the whole condition then
	return setCondition(conds, c, now, func(c *appsv1.DeploymentCondition) (string, string, string, string, *metav1.Time) {
		return string(c.Type), string(c.Status), c.Reason, c.Message, &c.LastTransitionTime
	})
}

// setCondition is the set*Condition helpers' one body, over any
// Kubernetes condition type: fields gives a condition's type, status,
// reason, message and where its lastTransitionTime is.
func setCondition[C any](conds []C, c C, now metav1.Time, fields func(*C) (typ, status, reason, message string, transition *metav1.Time)) []C {
	typ, status, reason, message, transition := fields(&c)
	for i := range conds {
		oldTyp, oldStatus, oldReason, oldMessage, oldTransition := fields(&conds[i])
		if oldTyp != typ {
			continue
		}
		if oldStatus == status && oldReason == reason && oldMessage == message {
			return conds
		}
		*transition = now
		if oldStatus == status {
			*transition = *oldTransition
		}
		out := append([]C(nil), conds...)
		out[i] = c
		return out
	}
	*transition = now
	return append(append([]C(nil), conds...), c)
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
	return setCondition(conds, c, now, func(c *appsv1.ReplicaSetCondition) (string, string, string, string, *metav1.Time) {
		return string(c.Type), string(c.Status), c.Reason, c.Message, &c.LastTransitionTime
	})
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
