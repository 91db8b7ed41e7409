package store

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Reasons of a pod's DisruptionTarget condition, as Kubernetes words them.
const (
	ReasonEvictionByEvictionAPI = "EvictionByEvictionAPI"
	ReasonPreemptionByScheduler = corev1.PodReasonPreemptionByScheduler
)

// MarkDisrupted sets a pod's DisruptionTarget condition to True with
// reason and message, as Kubernetes does before an eviction (reason
// EvictionByEvictionAPI, message "Eviction API: evicting") deletes the
// pod (the scheduler's preemptions set PreemptionByScheduler through the
// controllers' Changes instead): a Job's podFailurePolicy tells
// such disruptions from failures of the work by it. Call it before the
// deletion, in the same transaction. A pod that already finished is left
// as it is; ErrNotFound when there is no such pod.
func (tx *Tx) MarkDisrupted(key objects.Key, reason, message string, now time.Time) error {
	o, err := tx.Get(key)
	if err != nil {
		return err
	}
	p, ok := o.(*corev1.Pod)
	if !ok || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return nil
	}
	c := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: reason, Message: message,
		LastTransitionTime: metav1.NewTime(now.UTC().Truncate(time.Second))}
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.DisruptionTarget {
			if p.Status.Conditions[i].Status == corev1.ConditionTrue {
				return nil
			}
			p.Status.Conditions[i] = c
			return tx.UpdateStatus(p)
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, c)
	return tx.UpdateStatus(p)
}

// podConditionsOfAgents are the condition types a node's agent owns, as
// the kubelet owns them: its report replaces them. Others (DisruptionTarget
// written by an eviction, conditions other components add) stay when the
// report lacks them, as the kubelet's status manager keeps them.
var podConditionsOfAgents = map[corev1.PodConditionType]bool{
	corev1.PodScheduled: true, corev1.PodReady: true, corev1.PodInitialized: true,
	corev1.ContainersReady: true, corev1.PodReadyToStartContainers: true,
}

// MergeAgentPodStatus is the status to store when an agent reports
// reported for a pod whose stored status is stored.
func MergeAgentPodStatus(stored, reported corev1.PodStatus) corev1.PodStatus {
	out := reported
	has := map[corev1.PodConditionType]bool{}
	for _, c := range reported.Conditions {
		has[c.Type] = true
	}
	var kept []corev1.PodCondition
	for _, c := range stored.Conditions {
		if !podConditionsOfAgents[c.Type] && !has[c.Type] {
			kept = append(kept, c)
		}
	}
	if len(kept) > 0 {
		out.Conditions = append(append([]corev1.PodCondition(nil), reported.Conditions...), kept...)
	}
	return out
}
