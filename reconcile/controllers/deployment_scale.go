package controllers

import (
	"math"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
)

// Annotations Kubernetes keeps on a Deployment's ReplicaSets: the
// Deployment's replicas and replicas+maxSurge when the ReplicaSet was last
// scaled. A Deployment whose replicas differ from an active ReplicaSet's
// desired-replicas has been scaled (by a commit) since.
const (
	AnnotationDesiredReplicas = "deployment.kubernetes.io/desired-replicas"
	AnnotationMaxReplicas     = "deployment.kubernetes.io/max-replicas"
)

// setReplicas makes rs (a copy in ch) have n replicas and the Deployment's
// replica annotations, recording a ScalingReplicaSet event when the count
// changes. It returns the ReplicaSet to use from here on.
func setReplicas(ch *Changes, d *appsv1.Deployment, rs *appsv1.ReplicaSet, n int32, now time.Time) *appsv1.ReplicaSet {
	surge, _ := rollingParams(d)
	want := replicasOf(d.Spec.Replicas)
	desired, maxR := strconv.Itoa(int(want)), strconv.Itoa(int(want+surge))
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		maxR = desired
	}
	from := replicasOf(rs.Spec.Replicas)
	if from == n && rs.Annotations[AnnotationDesiredReplicas] == desired && rs.Annotations[AnnotationMaxReplicas] == maxR {
		return rs
	}
	if from != n {
		ch.scalingEvent(d, rs.Name, from, n, now)
	}
	rs = ensureUpdating(ch, rs)
	rs.Spec.Replicas = &n
	rs.Annotations = copyLabels(rs.Annotations, AnnotationDesiredReplicas, desired, AnnotationMaxReplicas, maxR)
	return rs
}

// isScalingEvent reports whether spec.replicas changed since the active
// ReplicaSets were last scaled (their desired-replicas annotation).
func isScalingEvent(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, olds []*appsv1.ReplicaSet) bool {
	want := strconv.Itoa(int(replicasOf(d.Spec.Replicas)))
	for _, rs := range append([]*appsv1.ReplicaSet{newRS}, olds...) {
		if rs == nil || replicasOf(rs.Spec.Replicas) == 0 {
			continue
		}
		if v, ok := rs.Annotations[AnnotationDesiredReplicas]; ok && v != want {
			return true
		}
	}
	return false
}

// proportionalScale is Kubernetes' answer to a scale during a rolling
// update: instead of giving the whole change to one ReplicaSet, every
// active ReplicaSet grows or shrinks in proportion to its size (measured
// against the max-replicas it was last scaled for), the rounding rest
// going to the largest one, so the mix of versions — and how far the
// rollout has got — stays as it was. With one active ReplicaSet it simply
// gets spec.replicas.
func proportionalScale(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, olds []*appsv1.ReplicaSet) (int32, []int32) {
	want := replicasOf(d.Spec.Replicas)
	newR := replicasOf(newRS.Spec.Replicas)
	oldR := make([]int32, len(olds))
	type entry struct {
		rs  *appsv1.ReplicaSet
		n   *int32
		new bool
	}
	var active []entry
	if newR > 0 {
		active = append(active, entry{newRS, &newR, true})
	}
	for i, rs := range olds {
		oldR[i] = replicasOf(rs.Spec.Replicas)
		if oldR[i] > 0 {
			active = append(active, entry{rs, &oldR[i], false})
		}
	}
	if len(active) <= 1 {
		if len(active) == 1 {
			*active[0].n = want
		} else {
			newR = want
		}
		return newR, oldR
	}
	surge, _ := rollingParams(d)
	allowed := want + surge
	if want == 0 {
		allowed = 0
	}
	var total int32
	for _, e := range active {
		total += *e.n
	}
	toAdd := allowed - total
	// Growing favours the bigger and newer ReplicaSets, shrinking the
	// bigger and older ones, as Kubernetes sorts them.
	sort.SliceStable(active, func(i, j int) bool {
		if *active[i].n != *active[j].n {
			return *active[i].n > *active[j].n
		}
		if toAdd > 0 {
			return olderThan(active[j].rs, active[i].rs)
		}
		return olderThan(active[i].rs, active[j].rs)
	})
	var added int32
	for _, e := range active {
		if toAdd == 0 {
			break
		}
		frac := replicaSetFraction(e.rs, *e.n, want, surge, d.Status.Replicas)
		left := toAdd - added
		p := max(frac, left)
		if toAdd > 0 {
			p = min(frac, left)
		}
		*e.n += p
		added += p
	}
	*active[0].n = max(0, *active[0].n+toAdd-added)
	return newR, oldR
}

// replicaSetFraction is how many replicas rs gains (or loses, negative)
// when the Deployment goes to want: its share of the new size in the
// proportion it had of the old one.
func replicaSetFraction(rs *appsv1.ReplicaSet, n, want, surge, statusReplicas int32) int32 {
	if want == 0 {
		return -n
	}
	annotated := statusReplicas
	if v, err := strconv.Atoi(rs.Annotations[AnnotationMaxReplicas]); err == nil && v > 0 {
		annotated = int32(v)
	}
	if annotated <= 0 {
		return 0
	}
	size := math.Round(float64(n) * float64(want+surge) / float64(annotated))
	return int32(size) - n
}
