package controllers

import (
	"fmt"
	"math"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Reasons of the Deployment's Progressing condition, as Kubernetes words them.
const (
	ReasonNewReplicaSetCreated     = "NewReplicaSetCreated"
	ReasonFoundNewReplicaSet       = "FoundNewReplicaSet"
	ReasonReplicaSetUpdated        = "ReplicaSetUpdated"
	ReasonNewReplicaSetAvailable   = "NewReplicaSetAvailable"
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	ReasonDeploymentPaused         = "DeploymentPaused"
	ReasonDeploymentResumed        = "DeploymentResumed"
)

// DefaultProgressDeadlineSeconds applies when spec.progressDeadlineSeconds
// is unset (Kubernetes' default).
const DefaultProgressDeadlineSeconds = 600

// summarise fills the Deployment status counts and the Available
// condition from its ReplicaSets' status.
func summarise(st *appsv1.DeploymentStatus, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, olds []*appsv1.ReplicaSet, now metav1.Time) {
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.UpdatedReplicas = 0, 0, 0, 0
	var term int32
	for _, rs := range append(olds, newRS) {
		if rs == nil {
			continue
		}
		st.Replicas += rs.Status.Replicas
		st.ReadyReplicas += rs.Status.ReadyReplicas
		st.AvailableReplicas += rs.Status.AvailableReplicas
		term += terminating(rs)
	}
	st.TerminatingReplicas = nil
	if term > 0 {
		st.TerminatingReplicas = &term
	}
	if newRS != nil {
		st.UpdatedReplicas = newRS.Status.Replicas
	}
	want := replicasOf(d.Spec.Replicas)
	st.UnavailableReplicas = max(0, want-st.AvailableReplicas)

	minAvailable := want - maxUnavailable(d)
	avail := appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
		Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability."}
	if st.AvailableReplicas < minAvailable {
		avail.Status, avail.Reason, avail.Message = corev1.ConditionFalse, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."
	}
	st.Conditions = setDeploymentCondition(st.Conditions, avail, now)
}

// markNewReplicaSetCreated starts the progress clock of a new rollout.
func markNewReplicaSetCreated(st *appsv1.DeploymentStatus, d *appsv1.Deployment, rs *appsv1.ReplicaSet, now metav1.Time) {
	if !hasProgressDeadline(d) {
		return
	}
	st.Conditions = touchDeploymentCondition(st.Conditions, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
		Status: corev1.ConditionTrue, Reason: ReasonNewReplicaSetCreated, Message: fmt.Sprintf("Created new replica set %q", rs.Name)}, now)
}

// syncProgress sets the Progressing condition as Kubernetes'
// syncRolloutStatus does, comparing the new status st with the stored one:
//   - complete (every replica updated and available): True,
//     NewReplicaSetAvailable;
//   - any progress since the last step (more updated, ready or available
//     pods, fewer old ones): True, ReplicaSetUpdated, and the clock
//     (lastUpdateTime) restarts;
//   - no progress for progressDeadlineSeconds since lastUpdateTime: False,
//     ProgressDeadlineExceeded. The rollout is not undone: old pods that
//     still serve keep serving, and a newer template starts a new clock.
//
// It returns when to look again for the deadline (0: no need).
func syncProgress(st *appsv1.DeploymentStatus, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, now time.Time) time.Duration {
	mnow := metav1.NewTime(now)
	if !hasProgressDeadline(d) {
		st.Conditions = removeDeploymentCondition(st.Conditions, appsv1.DeploymentProgressing)
		return 0
	}
	cur := deploymentCondition(st.Conditions, appsv1.DeploymentProgressing)
	if d.Spec.Paused {
		// No progress is expected while paused: the deadline does not run.
		if cur == nil || cur.Reason != ReasonDeploymentPaused {
			st.Conditions = touchDeploymentCondition(st.Conditions, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
				Status: corev1.ConditionUnknown, Reason: ReasonDeploymentPaused, Message: "Deployment is paused"}, mnow)
		}
		return 0
	}
	if cur != nil && cur.Reason == ReasonDeploymentPaused {
		// Resumed: the progress clock starts again now.
		st.Conditions = touchDeploymentCondition(st.Conditions, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
			Status: corev1.ConditionUnknown, Reason: ReasonDeploymentResumed, Message: "Deployment is resumed"}, mnow)
		cur = deploymentCondition(st.Conditions, appsv1.DeploymentProgressing)
	}
	if newRS == nil {
		return 0
	}
	if cur != nil && cur.Reason == ReasonNewReplicaSetAvailable && st.Replicas == st.UpdatedReplicas {
		return 0 // a finished rollout stays finished until the next one starts
	}
	want := replicasOf(d.Spec.Replicas)
	deadline := time.Duration(progressDeadline(d)) * time.Second
	switch {
	case st.UpdatedReplicas == want && st.Replicas == want && st.AvailableReplicas == want:
		st.Conditions = setDeploymentCondition(st.Conditions, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
			Status: corev1.ConditionTrue, Reason: ReasonNewReplicaSetAvailable,
			Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name)}, mnow)
		return 0
	case cur == nil || madeProgress(&d.Status, st):
		st.Conditions = touchDeploymentCondition(st.Conditions, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
			Status: corev1.ConditionTrue, Reason: ReasonReplicaSetUpdated,
			Message: fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name)}, mnow)
		return deadline + time.Millisecond
	case cur.Reason == ReasonProgressDeadlineExceeded:
		return 0
	}
	if wait := cur.LastUpdateTime.Add(deadline).Sub(now); wait >= 0 {
		return wait + time.Millisecond
	}
	st.Conditions = setDeploymentCondition(st.Conditions, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
		Status: corev1.ConditionFalse, Reason: ReasonProgressDeadlineExceeded,
		Message: fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name)}, mnow)
	return 0
}

// madeProgress is Kubernetes' DeploymentProgressing: did the rollout move
// since the stored status?
func madeProgress(old, cur *appsv1.DeploymentStatus) bool {
	oldOld := old.Replicas - old.UpdatedReplicas
	curOld := cur.Replicas - cur.UpdatedReplicas
	return cur.UpdatedReplicas > old.UpdatedReplicas || curOld < oldOld ||
		cur.ReadyReplicas > old.ReadyReplicas || cur.AvailableReplicas > old.AvailableReplicas
}

// touchDeploymentCondition sets c with lastUpdateTime now even when
// nothing else changed: for Progressing, lastUpdateTime is the progress
// clock. lastTransitionTime moves only when the status does.
func touchDeploymentCondition(conds []appsv1.DeploymentCondition, c appsv1.DeploymentCondition, now metav1.Time) []appsv1.DeploymentCondition {
	c.LastUpdateTime, c.LastTransitionTime = now, now
	out := make([]appsv1.DeploymentCondition, 0, len(conds)+1)
	found := false
	for _, old := range conds {
		if old.Type == c.Type {
			if old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
			out = append(out, c)
			found = true
			continue
		}
		out = append(out, old)
	}
	if !found {
		out = append(out, c)
	}
	return out
}

func deploymentCondition(conds []appsv1.DeploymentCondition, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// hasProgressDeadline: Kubernetes treats MaxInt32 as "no deadline".
func hasProgressDeadline(d *appsv1.Deployment) bool { return progressDeadline(d) != math.MaxInt32 }

func progressDeadline(d *appsv1.Deployment) int32 {
	if d.Spec.ProgressDeadlineSeconds == nil {
		return DefaultProgressDeadlineSeconds
	}
	return *d.Spec.ProgressDeadlineSeconds
}

// maxUnavailable resolves spec.strategy.rollingUpdate.maxUnavailable
// (default 25 %, rounded down) against the replicas; 0 for Recreate.
func maxUnavailable(d *appsv1.Deployment) int32 {
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return 0
	}
	_, u := rollingParams(d)
	return u
}
