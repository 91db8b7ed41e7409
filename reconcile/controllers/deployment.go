package controllers

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// AnnotationRevision numbers a Deployment's ReplicaSets in rollout order,
// as Kubernetes does.
const AnnotationRevision = "deployment.kubernetes.io/revision"

// DefaultRevisionHistoryLimit is how many old, scaled-down ReplicaSets a
// Deployment keeps when spec.revisionHistoryLimit is unset.
const DefaultRevisionHistoryLimit = 10

// ReconcileDeployment computes the writes that bring a Deployment's
// ReplicaSets to its spec: the ReplicaSet of the current template
// (named <deployment>-<pod-template-hash>) grows to spec.replicas while
// older ones shrink to zero, step by step as the strategy allows
// (planReplicas: RollingUpdate within maxSurge/maxUnavailable, gated on
// availability, or Recreate), and beyond revisionHistoryLimit scaled-down
// ones are deleted; the Progressing condition tracks
// progressDeadlineSeconds (syncProgress); orphaned
// ReplicaSets the selector matches are adopted; the Deployment's status is
// summed from its ReplicaSets. rses are the ReplicaSets of d's namespace.
func ReconcileDeployment(d *appsv1.Deployment, rses []*appsv1.ReplicaSet, now time.Time) Changes {
	var ch Changes
	mnow := metav1.NewTime(now)
	status := d.Status.DeepCopy()
	status.ObservedGeneration = d.Generation

	sel, err := selectorFor("Deployment", d.Spec.Selector, d.Spec.Template.Labels)
	if err != nil {
		status.Conditions = setDeploymentCondition(status.Conditions, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "InvalidSelector", Message: err.Error(),
		}, mnow)
		ch.addDeploymentStatus(d, status)
		return ch
	}

	owned := claimReplicaSets(d, rses, sel, &ch)
	newRS, olds := splitNewAndOld(d, owned)
	hash := PodTemplateHash(&d.Spec.Template, d.Status.CollisionCount)

	if newRS == nil && !d.Spec.Paused {
		name := d.Name + "-" + hash
		if taken := findByName(rses, name); taken != nil && ownedBy(taken, d) {
			// A hash collision with an edited ReplicaSet of ours: like
			// Kubernetes, count it so the next hash differs.
			n := int32(1)
			if status.CollisionCount != nil {
				n = *status.CollisionCount + 1
			}
			status.CollisionCount = &n
			ch.addDeploymentStatus(d, status)
			return ch
		} else if taken != nil {
			status.Conditions = setDeploymentCondition(status.Conditions, appsv1.DeploymentCondition{
				Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "ReplicaSetNameTaken",
				Message: fmt.Sprintf("ReplicaSet %q is needed for the new pod template but belongs to another owner; delete or rename it", name),
			}, mnow)
			ch.addDeploymentStatus(d, status)
			return ch
		}
		newRS = newReplicaSet(d, name, hash, maxRevision(olds)+1)
		ch.Create = append(ch.Create, newRS)
		markNewReplicaSetCreated(status, d, newRS, mnow)
	} else if newRS != nil {
		if rev := maxRevision(olds); revisionOf(newRS) <= rev {
			// An old template came back: its ReplicaSet becomes the newest revision.
			newRS = ensureUpdating(&ch, newRS)
			newRS.Annotations = copyLabels(newRS.Annotations, AnnotationRevision, strconv.FormatInt(rev+1, 10))
		}
	}
	status.Conditions = removeDeploymentCondition(status.Conditions, appsv1.DeploymentReplicaFailure)

	if !d.Spec.Paused {
		// A scale (replicas changed by a commit) is applied on its own,
		// proportionally; the rollout continues at the next step.
		scaling := isScalingEvent(d, newRS, olds)
		var newReplicas int32
		var oldReplicas []int32
		if scaling {
			newReplicas, oldReplicas = proportionalScale(d, newRS, olds)
		} else {
			newReplicas, oldReplicas = planReplicas(d, newRS, olds)
		}
		if scaling || replicasOf(newRS.Spec.Replicas) != newReplicas {
			newRS = setReplicas(&ch, d, newRS, newReplicas, now)
		}
		if newRS.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			newRS = ensureUpdating(&ch, newRS)
			newRS.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		}
		for i, rs := range olds {
			if n := oldReplicas[i]; replicasOf(rs.Spec.Replicas) != n || (scaling && n > 0) {
				olds[i] = setReplicas(&ch, d, rs, n, now)
			}
		}
		ch.Delete = append(ch.Delete, historyToDelete(d, olds)...)
	} else {
		scalePaused(d, newRS, olds, &ch, now)
	}

	summarise(status, d, newRS, olds, mnow)
	ch.requeueAfter(syncProgress(status, d, newRS, now))
	ch.addDeploymentStatus(d, status)
	return ch
}

// claimReplicaSets returns the ReplicaSets d controls, adopting orphans its
// selector matches (Kubernetes' ControllerRefManager).
func claimReplicaSets(d *appsv1.Deployment, rses []*appsv1.ReplicaSet, sel labels.Selector, ch *Changes) []*appsv1.ReplicaSet {
	var owned []*appsv1.ReplicaSet
	for _, rs := range rses {
		switch {
		case rs.Namespace != d.Namespace || rs.DeletionTimestamp != nil:
		case ownedBy(rs, d):
			owned = append(owned, rs)
		case !hasController(rs) && sel.Matches(labels.Set(rs.Labels)):
			adopted := rs.DeepCopy()
			adopted.OwnerReferences = append(adopted.OwnerReferences, controllerRef(d, "Deployment"))
			ch.Update = append(ch.Update, adopted)
			owned = append(owned, adopted)
		}
	}
	return owned
}

// splitNewAndOld finds the ReplicaSet whose template equals the
// Deployment's (ignoring the pod-template-hash label), so returning to an
// earlier template reuses its ReplicaSet instead of creating another.
func splitNewAndOld(d *appsv1.Deployment, owned []*appsv1.ReplicaSet) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet) {
	var newRS *appsv1.ReplicaSet
	var olds []*appsv1.ReplicaSet
	// Oldest first so that of two equal templates the older one wins, as in Kubernetes.
	sort.SliceStable(owned, func(i, j int) bool { return olderThan(owned[i], owned[j]) })
	for _, rs := range owned {
		if newRS == nil && templatesEqual(&rs.Spec.Template, &d.Spec.Template) {
			newRS = rs
			continue
		}
		olds = append(olds, rs)
	}
	return newRS, olds
}

func olderThan(a, b *appsv1.ReplicaSet) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// templatesEqual compares two pod templates ignoring the
// pod-template-hash label, without copying them (it runs for every
// ReplicaSet of every Deployment step).
func templatesEqual(a, b *corev1.PodTemplateSpec) bool {
	if !labelsEqualExceptHash(a.Labels, b.Labels) {
		return false
	}
	ma, mb := a.ObjectMeta, b.ObjectMeta // shallow copies
	ma.Labels, mb.Labels = nil, nil
	return equality.Semantic.DeepEqual(&ma, &mb) && equality.Semantic.DeepEqual(&a.Spec, &b.Spec)
}

func labelsEqualExceptHash(a, b map[string]string) bool {
	n := 0
	for k, v := range a {
		if k == objects.LabelPodTemplateHash {
			continue
		}
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
		n++
	}
	for k := range b {
		if k != objects.LabelPodTemplateHash {
			n--
		}
	}
	return n == 0
}

func newReplicaSet(d *appsv1.Deployment, name, hash string, revision int64) *appsv1.ReplicaSet {
	replicas := int32(0)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{
		Namespace:       d.Namespace,
		Name:            name,
		Labels:          copyLabels(d.Spec.Template.Labels, objects.LabelPodTemplateHash, hash),
		Annotations:     map[string]string{AnnotationRevision: strconv.FormatInt(revision, 10)},
		OwnerReferences: []metav1.OwnerReference{controllerRef(d, "Deployment")},
	}}
	objects.SetTypeMeta(rs, "ReplicaSet")
	rs.Spec.Replicas = &replicas // planReplicas sets the real count
	rs.Spec.MinReadySeconds = d.Spec.MinReadySeconds
	rs.Spec.Selector = d.Spec.Selector.DeepCopy()
	rs.Spec.Selector.MatchLabels = copyLabels(rs.Spec.Selector.MatchLabels, objects.LabelPodTemplateHash, hash)
	rs.Spec.Template = *d.Spec.Template.DeepCopy()
	rs.Spec.Template.Labels = copyLabels(d.Spec.Template.Labels, objects.LabelPodTemplateHash, hash)
	return rs
}

// ensureUpdating returns the copy of rs that is in ch.Update (or in
// ch.Create, for a ReplicaSet created in this step), adding one if needed,
// so several changes to one ReplicaSet become one write.
func ensureUpdating(ch *Changes, rs *appsv1.ReplicaSet) *appsv1.ReplicaSet {
	for _, list := range [][]objects.Object{ch.Create, ch.Update} {
		for _, o := range list {
			if o == objects.Object(rs) {
				return rs
			}
		}
	}
	c := rs.DeepCopy()
	objects.SetTypeMeta(c, "ReplicaSet")
	ch.Update = append(ch.Update, c)
	return c
}

// historyToDelete returns the oldest scaled-down ReplicaSets beyond
// revisionHistoryLimit. Only ReplicaSets that are at zero both in spec and
// in status (their pods are gone) are deleted.
func historyToDelete(d *appsv1.Deployment, olds []*appsv1.ReplicaSet) []objects.Object {
	limit := int32(DefaultRevisionHistoryLimit)
	if d.Spec.RevisionHistoryLimit != nil {
		limit = *d.Spec.RevisionHistoryLimit
	}
	diff := len(olds) - int(limit)
	if diff <= 0 {
		return nil
	}
	sorted := append([]*appsv1.ReplicaSet(nil), olds...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ri, rj := revisionOf(sorted[i]), revisionOf(sorted[j])
		if ri != rj {
			return ri < rj
		}
		return olderThan(sorted[i], sorted[j])
	})
	var out []objects.Object
	for _, rs := range sorted[:diff] {
		if rs.Status.Replicas != 0 || replicasOf(rs.Spec.Replicas) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		out = append(out, rs)
	}
	return out
}

func (ch *Changes) addDeploymentStatus(d *appsv1.Deployment, st *appsv1.DeploymentStatus) {
	if equality.Semantic.DeepEqual(&d.Status, st) {
		return
	}
	c := d.DeepCopy()
	c.Status = *st
	objects.SetTypeMeta(c, "Deployment")
	ch.UpdateStatus = append(ch.UpdateStatus, c)
}

func replicasOf(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func revisionOf(rs *appsv1.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[AnnotationRevision], 10, 64)
	return n
}

func maxRevision(rses []*appsv1.ReplicaSet) int64 {
	var m int64
	for _, rs := range rses {
		m = max(m, revisionOf(rs))
	}
	return m
}

func findByName(rses []*appsv1.ReplicaSet, name string) *appsv1.ReplicaSet {
	for _, rs := range rses {
		if rs.Name == name {
			return rs
		}
	}
	return nil
}

// deploymentStep is the Deployment entry's step: the ReplicaSets it
// controls or may adopt, plus Kubernetes' standard events.
func deploymentStep(in Inputs, d *appsv1.Deployment) Changes {
	rses := candidates[*appsv1.ReplicaSet](in.cache, d, "ReplicaSet")
	return withWorkloadEvents(objects.KeyOf(d), in.Component, ReconcileDeployment(d, rses, in.Now), in.Get, in.Now)
}

// expandDeployment previews a created or grown Deployment: its new
// ReplicaSet's pods (only the added replicas for a grown one).
func expandDeployment(in PreviewInput) []*corev1.Pod {
	d := in.Object.(*appsv1.Deployment)
	var old *int32
	if o, ok := in.Old.(*appsv1.Deployment); ok {
		old = o.Spec.Replicas
	}
	if !grow(in, &d.Spec.Replicas, old) {
		return nil
	}
	var pods []*corev1.Pod
	for _, rs := range created[*appsv1.ReplicaSet](ReconcileDeployment(d, nil, in.Now)) {
		prepare(rs, in.Now)
		pods = append(pods, fixedPoint(func(ps []*corev1.Pod) Changes { return ReconcileReplicaSet(rs, ps, in.Suffix, in.Now) })...)
	}
	return pods
}
