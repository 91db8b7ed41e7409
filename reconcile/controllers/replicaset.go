package controllers

import (
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// BurstReplicas caps the pods one ReplicaSet step creates or deletes, so a
// scale to thousands is written in several bounded transactions (the step
// asks to be requeued), as Kubernetes' burstReplicas does.
const BurstReplicas = 500

// Suffixes returns random pod-name suffixes; tests inject a fixed sequence.
type Suffixes func() string

// RandomSuffix is Kubernetes' generateName suffix: 5 characters of
// lowercase consonants and digits.
func RandomSuffix() string { return rand.String(5) }

// maxGeneratedBase keeps "<base><5 chars>" within 63 characters, as
// Kubernetes truncates generateName.
const maxGeneratedBase = 63 - 5

// ReconcileReplicaSet computes the writes that make the number of active
// pods of rs equal spec.replicas: missing pods are created from the
// template (unbound: the scheduler picks the node), extra pods are deleted
// in Kubernetes' preference order, orphans the selector matches are
// adopted, owned pods that no longer match are released. pods are the pods
// of rs's namespace.
func ReconcileReplicaSet(rs *appsv1.ReplicaSet, pods []*corev1.Pod, suffix Suffixes, now time.Time) Changes {
	var ch Changes
	mnow := metav1.NewTime(now)
	status := rs.Status.DeepCopy()
	status.ObservedGeneration = rs.Generation

	sel, err := selectorFor("ReplicaSet", rs.Spec.Selector, rs.Spec.Template.Labels)
	if err != nil {
		status.Conditions = setReplicaSetCondition(status.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "InvalidSelector", Message: err.Error(),
		}, mnow)
		ch.addReplicaSetStatus(rs, status)
		return ch
	}
	status.Conditions = removeReplicaSetCondition(status.Conditions, appsv1.ReplicaSetReplicaFailure)

	active := claimPods(rs, pods, sel, &ch)
	want := int(replicasOf(rs.Spec.Replicas))
	switch diff := len(active) - want; {
	case diff < 0:
		n := min(-diff, BurstReplicas)
		ch.Requeue = n < -diff
		taken := make(map[string]bool, len(pods))
		for _, p := range pods {
			taken[p.Name] = true
		}
		for range n {
			p := newPod(rs, suffix, taken)
			ch.Create = append(ch.Create, p)
			active = append(active, p)
		}
	case diff > 0:
		n := min(diff, BurstReplicas)
		ch.Requeue = n < diff
		sort.SliceStable(active, func(i, j int) bool { return deleteFirst(active[i], active[j]) })
		for _, p := range active[:n] {
			ch.Delete = append(ch.Delete, p)
		}
		active = active[n:]
	}

	ch.podEvents(rs, ComponentReplicaSet, ch.Create, ch.Delete, now)
	countReplicas(status, rs, active, now, &ch)
	status.TerminatingReplicas = countTerminating(rs, pods)
	ch.addReplicaSetStatus(rs, status)
	return ch
}

// claimPods returns rs's active pods: those it controls plus orphans its
// selector matches (adopted), minus those that no longer match (released,
// as Kubernetes does when someone relabels a pod). Terminal and deleting
// pods are not active.
func claimPods(rs *appsv1.ReplicaSet, pods []*corev1.Pod, sel labels.Selector, ch *Changes) []*corev1.Pod {
	var active []*corev1.Pod
	for _, p := range pods {
		if p.Namespace != rs.Namespace || p.DeletionTimestamp != nil {
			continue
		}
		matches := sel.Matches(labels.Set(p.Labels))
		switch {
		case ownedBy(p, rs) && !matches:
			released := p.DeepCopy()
			released.OwnerReferences = withoutController(released.OwnerReferences, rs.UID)
			objects.SetTypeMeta(released, "Pod")
			ch.Update = append(ch.Update, released)
		case ownedBy(p, rs):
			if !podTerminal(p) {
				active = append(active, p)
			}
		case matches && !hasController(p) && !podTerminal(p):
			adopted := p.DeepCopy()
			adopted.OwnerReferences = append(adopted.OwnerReferences, controllerRef(rs, "ReplicaSet"))
			objects.SetTypeMeta(adopted, "Pod")
			ch.Update = append(ch.Update, adopted)
			active = append(active, adopted)
		}
	}
	return active
}

func withoutController(refs []metav1.OwnerReference, uid types.UID) []metav1.OwnerReference {
	var out []metav1.OwnerReference
	for _, r := range refs {
		if r.UID == uid && r.Controller != nil && *r.Controller {
			continue
		}
		out = append(out, r)
	}
	return out
}

// newPod makes a pod from rs's template, named <rs>-<suffix>, unbound.
func newPod(rs *appsv1.ReplicaSet, suffix Suffixes, taken map[string]bool) *corev1.Pod {
	base := rs.Name + "-"
	if len(base) > maxGeneratedBase {
		base = base[:maxGeneratedBase]
	}
	name := base + suffix()
	for i := 0; taken[name] && i < 16; i++ {
		name = base + suffix()
	}
	taken[name] = true
	t := rs.Spec.Template.DeepCopy()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       rs.Namespace,
			Name:            name,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			OwnerReferences: []metav1.OwnerReference{controllerRef(rs, "ReplicaSet")},
		},
		Spec: t.Spec,
	}
	p.Status.Phase = corev1.PodPending
	objects.SetTypeMeta(p, "Pod")
	return p
}

// deleteFirst orders pods for scale-down as Kubernetes' ActivePods does:
// unscheduled before scheduled, Pending before Unknown before Running, not
// ready before ready, ready for less time before longer, more restarts
// before fewer, newer before older; the name breaks remaining ties so the
// choice is deterministic.
func deleteFirst(a, b *corev1.Pod) bool {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if pa, pb := phaseRank(a.Status.Phase), phaseRank(b.Status.Phase); pa != pb {
		return pa < pb
	}
	ra, rb := objects.PodReady(a), objects.PodReady(b)
	if ra != rb {
		return !ra
	}
	if ra {
		ta, tb := readySince(a), readySince(b)
		if !ta.Equal(tb) {
			return ta.After(tb)
		}
	}
	if ca, cb := restarts(a), restarts(b); ca != cb {
		return ca > cb
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name > b.Name
}

func phaseRank(p corev1.PodPhase) int {
	switch p {
	case corev1.PodPending, "":
		return 0
	case corev1.PodUnknown:
		return 1
	case corev1.PodRunning:
		return 2
	}
	return 3
}

func readySince(p *corev1.Pod) time.Time {
	if c := podCondition(p, corev1.PodReady); c != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n = max(n, s.RestartCount)
	}
	return n
}

func podTerminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// countReplicas fills the ReplicaSet status from its active pods. A pod is
// available once it has been ready for minReadySeconds; until then the
// step asks to run again when the first one becomes available.
func countReplicas(st *appsv1.ReplicaSetStatus, rs *appsv1.ReplicaSet, active []*corev1.Pod, now time.Time, ch *Changes) {
	st.Replicas = int32(len(active))
	st.FullyLabeledReplicas, st.ReadyReplicas, st.AvailableReplicas = 0, 0, 0
	tmpl := labels.SelectorFromSet(rs.Spec.Template.Labels)
	minReady := time.Duration(rs.Spec.MinReadySeconds) * time.Second
	for _, p := range active {
		if tmpl.Matches(labels.Set(p.Labels)) {
			st.FullyLabeledReplicas++
		}
		if !objects.PodReady(p) {
			continue
		}
		st.ReadyReplicas++
		if wait := readySince(p).Add(minReady).Sub(now); minReady == 0 || wait <= 0 {
			st.AvailableReplicas++
		} else {
			ch.requeueAfter(wait)
		}
	}
}

// countTerminating counts rs's pods that are being deleted gracefully
// (nil when none, so a steady status has no such field): a Recreate
// rollout waits for them to be gone.
func countTerminating(rs *appsv1.ReplicaSet, pods []*corev1.Pod) *int32 {
	var n int32
	for _, p := range pods {
		if p.DeletionTimestamp != nil && ownedBy(p, rs) && !podTerminal(p) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &n
}

func (ch *Changes) addReplicaSetStatus(rs *appsv1.ReplicaSet, st *appsv1.ReplicaSetStatus) {
	if equality.Semantic.DeepEqual(&rs.Status, st) {
		return
	}
	c := rs.DeepCopy()
	c.Status = *st
	objects.SetTypeMeta(c, "ReplicaSet")
	ch.UpdateStatus = append(ch.UpdateStatus, c)
}

// replicaSetStep is the ReplicaSet entry's step: the pods it controls or
// may adopt, plus Kubernetes' standard events.
func replicaSetStep(in Inputs, rs *appsv1.ReplicaSet) Changes {
	pods := candidates[*corev1.Pod](in.cache, rs, "Pod")
	return withWorkloadEvents(objects.KeyOf(rs), in.Component, ReconcileReplicaSet(rs, pods, in.Suffix, in.Now), in.Get, in.Now)
}

// expandReplicaSet previews a created or grown ReplicaSet's new pods.
func expandReplicaSet(in PreviewInput) []*corev1.Pod {
	rs := in.Object.(*appsv1.ReplicaSet)
	var old *int32
	if o, ok := in.Old.(*appsv1.ReplicaSet); ok {
		old = o.Spec.Replicas
	}
	if !grow(in, &rs.Spec.Replicas, old) {
		return nil
	}
	return fixedPoint(func(ps []*corev1.Pod) Changes { return ReconcileReplicaSet(rs, ps, in.Suffix, in.Now) })
}
