package controllers

import (
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// planReplicas decides the spec.replicas of the new and of each old
// ReplicaSet for one step of the Deployment's strategy. olds are sorted
// oldest first (splitNewAndOld). newRS may be nil only for a paused
// Deployment, which never reaches here.
func planReplicas(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, olds []*appsv1.ReplicaSet) (int32, []int32) {
	oldReplicas := make([]int32, len(olds))
	for i, rs := range olds {
		oldReplicas[i] = replicasOf(rs.Spec.Replicas)
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return planRecreate(d, newRS, olds), make([]int32, len(olds))
	}
	return planRollingUpdate(d, newRS, olds, oldReplicas)
}

// scalePaused applies a replicas change to a paused Deployment, which
// does not roll out: as in Kubernetes, scaling still works. With one
// active ReplicaSet (the usual case) it gets spec.replicas; a rollout
// paused half way keeps its ReplicaSets as they are.
func scalePaused(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, olds []*appsv1.ReplicaSet, ch *Changes, now time.Time) {
	var active []*appsv1.ReplicaSet
	for _, rs := range append(append([]*appsv1.ReplicaSet(nil), olds...), newRS) {
		if rs != nil && replicasOf(rs.Spec.Replicas) > 0 {
			active = append(active, rs)
		}
	}
	if len(active) != 1 {
		return
	}
	setReplicas(ch, d, active[0], replicasOf(d.Spec.Replicas), now)
}

// planRecreate scales every old ReplicaSet to zero and lets the new one
// grow only once no old pod is left, terminating ones included: with
// Recreate, two versions never run at the same time.
func planRecreate(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, olds []*appsv1.ReplicaSet) int32 {
	for _, rs := range olds {
		if replicasOf(rs.Spec.Replicas) != 0 || rs.Status.Replicas != 0 || terminating(rs) != 0 ||
			rs.Status.ObservedGeneration < rs.Generation {
			return replicasOf(newRS.Spec.Replicas)
		}
	}
	return replicasOf(d.Spec.Replicas)
}

func terminating(rs *appsv1.ReplicaSet) int32 {
	if rs.Status.TerminatingReplicas == nil {
		return 0
	}
	return *rs.Status.TerminatingReplicas
}

// planRollingUpdate is Kubernetes' rolloutRolling for one step: first the
// new ReplicaSet grows within maxSurge (pods above spec.replicas); only if
// it did not grow, old ReplicaSets shrink within maxUnavailable (available
// pods below spec.replicas). First unhealthy old pods go (they serve
// nothing), then available ones, oldest ReplicaSet first. Availability is
// read from the ReplicaSets' status (pods ready for minReadySeconds), so
// the rollout waits for new pods to become ready before it removes old ones.
func planRollingUpdate(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, olds []*appsv1.ReplicaSet, oldReplicas []int32) (int32, []int32) {
	want := replicasOf(d.Spec.Replicas)
	surge, unavailable := rollingParams(d)
	newReplicas := replicasOf(newRS.Spec.Replicas)

	var oldTotal int32
	for _, n := range oldReplicas {
		oldTotal += n
	}
	switch {
	case newReplicas > want:
		return want, oldReplicas
	case newReplicas < want:
		if total := newReplicas + oldTotal; total < want+surge {
			up := min(want+surge-total, want-newReplicas)
			return newReplicas + up, oldReplicas
		}
	}
	if oldTotal == 0 {
		return newReplicas, oldReplicas
	}

	// Scale down old ReplicaSets without going below minAvailable. The
	// new ReplicaSet's pods that are not available yet do not count.
	minAvailable := want - unavailable
	allTotal := newReplicas + oldTotal
	newUnavailable := max(0, newReplicas-availableOf(newRS))
	budget := allTotal - minAvailable - newUnavailable
	if budget <= 0 {
		return newReplicas, oldReplicas
	}
	order := make([]int, len(olds))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return olderThan(olds[order[a]], olds[order[b]]) })

	// 1. Unhealthy old pods: removing them costs no availability.
	for _, i := range order {
		if budget <= 0 {
			break
		}
		unhealthy := oldReplicas[i] - availableOf(olds[i])
		if n := min(unhealthy, budget); n > 0 {
			oldReplicas[i] -= n
			budget -= n
		}
	}
	// 2. Available old pods, down to minAvailable in total.
	available := availableOf(newRS)
	for i, rs := range olds {
		available += min(availableOf(rs), oldReplicas[i])
	}
	down := min(available-minAvailable, budget)
	for _, i := range order {
		if down <= 0 {
			break
		}
		if n := min(oldReplicas[i], down); n > 0 {
			oldReplicas[i] -= n
			down -= n
		}
	}
	return newReplicas, oldReplicas
}

// availableOf is a ReplicaSet's available pods as its status says, capped
// at its spec: after a scale-down, the status may still count pods that
// are being deleted, and counting them could remove too many.
func availableOf(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return max(0, min(rs.Status.AvailableReplicas, replicasOf(rs.Spec.Replicas)))
}

// rollingParams resolves maxSurge (rounded up) and maxUnavailable (rounded
// down) against spec.replicas, defaults 25 % each; if both come out 0,
// maxUnavailable is 1 so the rollout can move, as in Kubernetes.
func rollingParams(d *appsv1.Deployment) (surge, unavailable int32) {
	want := int(replicasOf(d.Spec.Replicas))
	s, u := intstr.FromString("25%"), intstr.FromString("25%")
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			s = *ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			u = *ru.MaxUnavailable
		}
	}
	sn, err := intstr.GetScaledValueFromIntOrPercent(&s, want, true)
	if err != nil || sn < 0 {
		sn = 0
	}
	un, err := intstr.GetScaledValueFromIntOrPercent(&u, want, false)
	if err != nil || un < 0 {
		un = 0
	}
	if sn == 0 && un == 0 {
		un = 1
	}
	return int32(sn), int32(un)
}
