package controllers

import (
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Labels Kubernetes puts on StatefulSet pods.
const (
	LabelStatefulSetPodName = appsv1.StatefulSetPodNameLabel // statefulset.kubernetes.io/pod-name
	LabelPodIndex           = appsv1.PodIndexLabel           // apps.kubernetes.io/pod-index
)

// ReconcileStatefulSet computes the writes that give sts its replicas with
// stable identities: pod <sts>-<ordinal> for ordinals 0..replicas-1
// (shifted by spec.ordinals.start), hostname = pod name and subdomain =
// spec.serviceName, and for each volumeClaimTemplate a persistentVolumeClaim
// volume with the claim name <template>-<sts>-<ordinal>, which the agent
// realises as a named Podman volume that outlives the pod, so a
// replacement pod of the same ordinal finds the same data.
//
// With podManagementPolicy OrderedReady (the default) a pod is created
// only once every lower ordinal is running and available, and scale-down
// removes the highest ordinal first, one at a time; Parallel creates and
// removes them all at once. A template change (RollingUpdate) replaces
// pods from the highest ordinal down to spec.updateStrategy.rollingUpdate.partition,
// one at a time (or maxUnavailable at a time), each only after the previous
// replacement is available;
// OnDelete replaces a pod only when someone deletes it. A pod name that is
// still taken by a terminating pod waits until that pod is gone. pods are
// the pods of sts's namespace.
func ReconcileStatefulSet(sts *appsv1.StatefulSet, pods []*corev1.Pod, now time.Time) Changes {
	var ch Changes
	status := sts.Status.DeepCopy()
	status.ObservedGeneration = sts.Generation
	sel, err := selectorFor("StatefulSet", sts.Spec.Selector, sts.Spec.Template.Labels)
	if err != nil {
		status.Conditions = []appsv1.StatefulSetCondition{{Type: "ReplicaFailure", Status: corev1.ConditionTrue,
			Reason: "InvalidSelector", Message: err.Error(), LastTransitionTime: metav1.NewTime(now)}}
		if len(sts.Status.Conditions) == 1 && sts.Status.Conditions[0].Message == err.Error() {
			status.Conditions = sts.Status.Conditions
		}
		ch.addStatefulSetStatus(sts, status)
		return ch
	}
	status.Conditions = nil
	updateRev := sts.Name + "-" + PodTemplateHash(&sts.Spec.Template, sts.Status.CollisionCount)
	currentRev := status.CurrentRevision
	if currentRev == "" {
		currentRev = updateRev
	}

	claimed := claimPodsOf(sts, "StatefulSet", pods, sel, &ch)
	start := int32(0)
	if sts.Spec.Ordinals != nil {
		start = sts.Spec.Ordinals.Start
	}
	replicas := replicasOf(sts.Spec.Replicas)
	parallel := sts.Spec.PodManagementPolicy == appsv1.ParallelPodManagement

	byOrdinal := map[int32]*corev1.Pod{}
	var condemned []*corev1.Pod
	for _, p := range claimed.active {
		ord, ok := ordinalOf(sts, p)
		if ok && ord >= start && ord < start+replicas {
			byOrdinal[ord] = p
		} else {
			condemned = append(condemned, p)
		}
	}
	terminatingName := map[string]bool{}
	for _, p := range claimed.terminating {
		terminatingName[p.Name] = true
	}
	// A failed pod is replaced, as Kubernetes does: delete now, recreate
	// once it is gone (the name must be free).
	for _, p := range claimed.finished {
		ch.Delete = append(ch.Delete, p)
		terminatingName[p.Name] = true
	}

	available := func(p *corev1.Pod) bool {
		ok, wait := podAvailable(p, sts.Spec.MinReadySeconds, now)
		ch.requeueAfter(wait)
		return ok && p.Status.Phase == corev1.PodRunning
	}

	// Create missing pods in ordinal order.
	blocked := false
	for ord := start; ord < start+replicas && !blocked; ord++ {
		p := byOrdinal[ord]
		switch {
		case p == nil && terminatingName[podNameFor(sts, ord)]:
			blocked = !parallel // the name is still taken
		case p == nil:
			np := statefulPod(sts, ord, updateRev)
			ch.Create = append(ch.Create, np)
			blocked = !parallel
		case !available(p):
			blocked = !parallel
		}
	}

	// Scale down: highest ordinal first; OrderedReady one at a time and
	// only while every remaining pod is healthy.
	sort.Slice(condemned, func(i, j int) bool { return ordinalOrMax(sts, condemned[i]) > ordinalOrMax(sts, condemned[j]) })
	if len(condemned) > 0 {
		switch {
		case parallel:
			ch.Delete = append(ch.Delete, podsAsObjects(condemned)...)
		case !blocked && len(claimed.terminating) == 0:
			ch.Delete = append(ch.Delete, condemned[0])
			blocked = true
		}
	}

	// Rolling update: replace outdated pods from the highest ordinal down
	// to the partition, while fewer than maxUnavailable (default 1) pods
	// are missing or not available; with the default that is one pod at
	// a time, each after the previous replacement is available.
	if sts.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType && (parallel || !blocked) {
		partition, maxUnav := statefulRollingParams(sts, replicas)
		unavailable := int32(0)
		for ord := start; ord < start+replicas; ord++ {
			if p := byOrdinal[ord]; p == nil || !available(p) || deleting(&ch, p) {
				unavailable++
			}
		}
		for ord := start + replicas - 1; ord >= start+partition && unavailable < maxUnav; ord-- {
			if p := byOrdinal[ord]; p != nil && p.Labels[LabelControllerRevisionHash] != updateRev {
				ch.Delete = append(ch.Delete, p)
				unavailable++
			}
		}
	}

	ch.statefulPodEvents(sts, ch.Create, ch.Delete, now)
	status.Replicas = int32(len(claimed.active))
	status.ReadyReplicas, status.AvailableReplicas, status.CurrentReplicas, status.UpdatedReplicas = 0, 0, 0, 0
	for _, p := range claimed.active {
		if objects.PodReady(p) {
			status.ReadyReplicas++
		}
		if ok, _ := podAvailable(p, sts.Spec.MinReadySeconds, now); ok {
			status.AvailableReplicas++
		}
		switch p.Labels[LabelControllerRevisionHash] {
		case updateRev:
			status.UpdatedReplicas++
			if currentRev == updateRev {
				status.CurrentReplicas++
			}
		case currentRev:
			status.CurrentReplicas++
		}
	}
	status.UpdateRevision = updateRev
	if status.UpdatedReplicas == replicas && status.Replicas == replicas && len(condemned) == 0 {
		status.CurrentRevision, status.CurrentReplicas = updateRev, status.UpdatedReplicas
	} else {
		status.CurrentRevision = currentRev
	}
	ch.addStatefulSetStatus(sts, status)
	return ch
}

// statefulRollingParams resolves the partition (default 0) and
// maxUnavailable (default 1; a percentage of replicas rounded up; at
// least 1).
func statefulRollingParams(sts *appsv1.StatefulSet, replicas int32) (partition, maxUnavailable int32) {
	maxUnavailable = 1
	if ru := sts.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if ru.Partition != nil {
			partition = *ru.Partition
		}
		if ru.MaxUnavailable != nil {
			n, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, int(replicas), true)
			if err == nil && n > 1 {
				maxUnavailable = int32(n)
			}
		}
	}
	return partition, maxUnavailable
}

// deleting reports whether this step already deletes p.
func deleting(ch *Changes, p *corev1.Pod) bool {
	for _, o := range ch.Delete {
		if o.GetUID() == p.UID {
			return true
		}
	}
	return false
}

// podNameFor is the stable name of ordinal ord.
func podNameFor(sts *appsv1.StatefulSet, ord int32) string {
	return sts.Name + "-" + strconv.Itoa(int(ord))
}

// ClaimNameFor is the persistentVolumeClaim name (and Podman volume name)
// of template for ordinal ord: <template>-<sts>-<ordinal>, as Kubernetes
// names a StatefulSet's PVCs.
func ClaimNameFor(template string, sts *appsv1.StatefulSet, ord int32) string {
	return template + "-" + podNameFor(sts, ord)
}

// ordinalOf parses the ordinal from a pod named <sts>-<ordinal>.
func ordinalOf(sts *appsv1.StatefulSet, p *corev1.Pod) (int32, bool) {
	rest, ok := strings.CutPrefix(p.Name, sts.Name+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 32)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != rest {
		return 0, false
	}
	return int32(n), true
}

// ordinalOrMax sorts pods with no valid ordinal first for deletion.
func ordinalOrMax(sts *appsv1.StatefulSet, p *corev1.Pod) int64 {
	if n, ok := ordinalOf(sts, p); ok {
		return int64(n)
	}
	return 1 << 40
}

// statefulPod makes the pod of ordinal ord from sts's template.
func statefulPod(sts *appsv1.StatefulSet, ord int32, revision string) *corev1.Pod {
	t := sts.Spec.Template.DeepCopy()
	name := podNameFor(sts, ord)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: sts.Namespace,
			Name:      name,
			Labels: copyLabels(t.Labels, LabelControllerRevisionHash, revision,
				LabelStatefulSetPodName, name, LabelPodIndex, strconv.Itoa(int(ord))),
			Annotations:     t.Annotations,
			OwnerReferences: []metav1.OwnerReference{controllerRef(sts, "StatefulSet")},
		},
		Spec: t.Spec,
	}
	p.Spec.Hostname = name
	p.Spec.Subdomain = sts.Spec.ServiceName
	for _, c := range sts.Spec.VolumeClaimTemplates {
		v := corev1.Volume{Name: c.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: ClaimNameFor(c.Name, sts, ord)}}}
		replaced := false
		for i := range p.Spec.Volumes {
			if p.Spec.Volumes[i].Name == c.Name {
				p.Spec.Volumes[i], replaced = v, true
			}
		}
		if !replaced {
			p.Spec.Volumes = append(p.Spec.Volumes, v)
		}
	}
	p.Status.Phase = corev1.PodPending
	objects.SetTypeMeta(p, "Pod")
	return p
}

func (ch *Changes) addStatefulSetStatus(sts *appsv1.StatefulSet, st *appsv1.StatefulSetStatus) {
	if equality.Semantic.DeepEqual(&sts.Status, st) {
		return
	}
	c := sts.DeepCopy()
	c.Status = *st
	objects.SetTypeMeta(c, "StatefulSet")
	ch.UpdateStatus = append(ch.UpdateStatus, c)
}

// statefulSetStep is the StatefulSet entry's step.
func statefulSetStep(in Inputs, sts *appsv1.StatefulSet) Changes {
	pods := candidates[*corev1.Pod](in.cache, sts, "Pod")
	return withWorkloadEvents(objects.KeyOf(sts), in.Component, ReconcileStatefulSet(sts, pods, in.Now), in.Get, in.Now)
}

// expandStatefulSet previews a created StatefulSet (ordinals are names:
// a grown one is previewed as created only).
func expandStatefulSet(in PreviewInput) []*corev1.Pod {
	if !in.Created {
		return nil
	}
	sts := in.Object.(*appsv1.StatefulSet)
	return fixedPoint(func(ps []*corev1.Pod) Changes { return ReconcileStatefulSet(sts, ps, in.Now) })
}
