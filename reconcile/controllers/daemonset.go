package controllers

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// LabelControllerRevisionHash marks DaemonSet and StatefulSet pods with
// the revision of the template they were made from, as Kubernetes does.
const LabelControllerRevisionHash = appsv1.ControllerRevisionHashLabelKey

// ReasonNodeLost is the reason a daemon pod whose node left the cluster is
// marked Failed before it is removed: no agent is left to stop it.
const ReasonNodeLost = "NodeLost"

// ReconcileDaemonSet computes the writes that run one pod of ds on every
// eligible node (scheduler.DaemonPodFits: nodeSelector, taints and
// tolerations): a pod for a node that has none (bound at creation, with
// spec.nodeName set, so the scheduler never sees it), removal of pods on
// nodes that are no longer eligible or left, extra pods on one node, and
// finished pods (a daemon runs forever; a Failed one is replaced). A
// template change is rolled out node by node (RollingUpdate): outdated
// pods are deleted while at most maxUnavailable (default 1) nodes lack an
// available pod, or with maxSurge the new pod starts beside the old one;
// OnDelete leaves them until someone deletes them. pods are
// the pods of ds's namespace.
func ReconcileDaemonSet(ds *appsv1.DaemonSet, pods []*corev1.Pod, nodes []*corev1.Node, suffix Suffixes, now time.Time) Changes {
	return ReconcileDaemonSetPlaced(ds, pods, nodes, nil, suffix, now)
}

// ReconcileDaemonSetPlaced is ReconcileDaemonSet with the resource fit
// of new pods (daemon_placement.go): a pod that does not fit on its node
// is not created there (Warning FailedPlacement, retried), or, when it
// may preempt, the victims are deleted gracefully as it is created. A nil
// place creates without accounting (previews).
func ReconcileDaemonSetPlaced(ds *appsv1.DaemonSet, pods []*corev1.Pod, nodes []*corev1.Node, place DaemonPlacement, suffix Suffixes, now time.Time) Changes {
	var ch Changes
	status := ds.Status.DeepCopy()
	status.ObservedGeneration = ds.Generation
	sel, err := selectorFor("DaemonSet", ds.Spec.Selector, ds.Spec.Template.Labels)
	if err != nil {
		// DaemonSetStatus has conditions too; Kubernetes reports a bad
		// selector as an event, here it goes into the status so `get -o
		// yaml` shows it.
		status.Conditions = setDaemonSetCondition(status.Conditions, appsv1.DaemonSetCondition{
			Type: "ReplicaFailure", Status: corev1.ConditionTrue, Reason: "InvalidSelector", Message: err.Error()}, metav1.NewTime(now))
		ch.addDaemonSetStatus(ds, status)
		return ch
	}
	status.Conditions = nil
	hash := PodTemplateHash(&ds.Spec.Template, ds.Status.CollisionCount)
	claimed := claimPodsOf(ds, "DaemonSet", pods, sel, &ch)
	ch.Delete = append(ch.Delete, podsAsObjects(claimed.finished)...)

	byNode := map[string][]*corev1.Pod{}
	for _, p := range claimed.active {
		byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
	}
	known := map[string]bool{}
	for _, n := range nodes {
		known[n.Name] = true
	}
	// Pods on nodes that are gone (or never bound): nobody will stop
	// them, so they are marked Failed, which lets the delete remove them
	// at once instead of waiting for an agent.
	for name, ps := range byNode {
		if !known[name] {
			for _, p := range ps {
				ch.UpdateStatus = append(ch.UpdateStatus, nodeLost(p, now))
				ch.Delete = append(ch.Delete, p)
			}
			delete(byNode, name)
		}
	}

	probe := daemonPod(ds, hash, "", "")
	var desired []*corev1.Node
	var ready, available, updated, scheduled, misscheduled int32
	sorted := append([]*corev1.Node(nil), nodes...)
	slices.SortFunc(sorted, func(a, b *corev1.Node) int { return cmp.Compare(a.Name, b.Name) })
	maxUnav, maxSurge := daemonRollingParams(ds, sorted, probe)
	onDelete := ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType
	var unavailable, surging int32
	var outdated []*corev1.Pod // available pods of an old revision, candidates for the rollout
	taken := takenNames(pods)
	byName := make(map[string]*corev1.Node, len(nodes))
	for _, n := range nodes {
		byName[n.Name] = n
	}
	var victims []objects.Object
	create := func(node string) {
		p := daemonPod(ds, hash, node, uniqueName(ds.Name, suffix, taken))
		if place != nil && !placeDaemonPod(ds, p, byName[node], place, &ch, &victims, now) {
			return
		}
		ch.Create = append(ch.Create, p)
	}
	for _, n := range sorted {
		ps := byNode[n.Name]
		if len(scheduler.DaemonPodFits(probe, n)) > 0 {
			if len(ps) > 0 && len(scheduler.DaemonPodMayStay(probe, n)) == 0 {
				continue // not placed there now, but its pod stays (a not-ready node's NoSchedule taint)
			}
			if len(ps) > 0 {
				misscheduled++
				ch.Delete = append(ch.Delete, podsAsObjects(ps)...)
			}
			continue
		}
		desired = append(desired, n)
		newP, oldP, extra := splitDaemonPods(ps, hash)
		ch.Delete = append(ch.Delete, podsAsObjects(extra)...)
		if newP == nil && oldP == nil {
			create(n.Name)
			unavailable++
			continue
		}
		newOK, wait := false, time.Duration(0)
		if newP != nil {
			newOK, wait = podAvailable(newP, ds.Spec.MinReadySeconds, now)
			ch.requeueAfter(wait)
		}
		// The pod that counts for this node: the new one once it serves
		// (or when there is no old one), else the old one.
		p := oldP
		if newP != nil && (newOK || oldP == nil) {
			p = newP
		}
		if newP != nil && oldP != nil {
			if newOK {
				ch.Delete = append(ch.Delete, oldP) // the surge pod took over
			} else {
				surging++
			}
		}
		scheduled++
		if p == newP {
			updated++
		}
		if objects.PodReady(p) {
			ready++
		}
		ok, wait := podAvailable(p, ds.Spec.MinReadySeconds, now)
		ch.requeueAfter(wait)
		switch {
		case ok:
			available++
			if p == oldP && newP == nil {
				outdated = append(outdated, p)
			}
		case p == oldP && newP == nil && !onDelete:
			// An old pod that does not serve anyway is replaced at once.
			if maxSurge > 0 {
				create(n.Name)
			} else {
				ch.Delete = append(ch.Delete, p)
			}
			unavailable++
		default:
			unavailable++
		}
	}
	for _, p := range outdated {
		switch {
		case onDelete:
		case maxSurge > 0 && surging < maxSurge:
			create(p.Spec.NodeName) // beside the old pod, which goes once it is available
			surging++
		case maxSurge == 0 && unavailable < maxUnav:
			ch.Delete = append(ch.Delete, p)
			unavailable++
		}
	}

	ch.podEvents(ds, ComponentDaemonSet, ch.Create, ch.Delete, now)
	ch.Delete = append(ch.Delete, victims...) // not the DaemonSet's pods: no SuccessfulDelete
	status.DesiredNumberScheduled = int32(len(desired))
	status.CurrentNumberScheduled = scheduled
	status.NumberMisscheduled = misscheduled
	status.NumberReady = ready
	status.NumberAvailable = available
	status.NumberUnavailable = int32(len(desired)) - available
	status.UpdatedNumberScheduled = updated
	ch.addDaemonSetStatus(ds, status)
	return ch
}

// daemonRollingParams resolves maxUnavailable (default 1) and maxSurge
// (default 0) against the eligible nodes, percentages rounded up as
// Kubernetes does for DaemonSets. With maxSurge > 0 a node gets its new
// pod beside the old one, which is deleted once the new one is available;
// otherwise old pods are deleted first, at most maxUnavailable (at least
// 1, so the rollout can move) nodes at a time.
func daemonRollingParams(ds *appsv1.DaemonSet, nodes []*corev1.Node, probe *corev1.Pod) (unavailable, surge int32) {
	u, s := intstr.FromInt32(1), intstr.FromInt32(0)
	if ru := ds.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if ru.MaxUnavailable != nil {
			u = *ru.MaxUnavailable
		}
		if ru.MaxSurge != nil {
			s = *ru.MaxSurge
		}
	}
	eligible := 0
	for _, n := range nodes {
		if len(scheduler.DaemonPodFits(probe, n)) == 0 {
			eligible++
		}
	}
	un, err := intstr.GetScaledValueFromIntOrPercent(&u, eligible, true)
	if err != nil || un < 1 {
		un = 1
	}
	sn, err := intstr.GetScaledValueFromIntOrPercent(&s, eligible, true)
	if err != nil || sn < 0 {
		sn = 0
	}
	return int32(un), int32(sn)
}

// splitDaemonPods picks, of one node's pods, the oldest of the current
// revision and the oldest of an older one; the rest are extra.
func splitDaemonPods(ps []*corev1.Pod, hash string) (newP, oldP *corev1.Pod, extra []*corev1.Pod) {
	sort.Slice(ps, func(i, j int) bool { return olderPod(ps[i], ps[j]) })
	for _, p := range ps {
		isNew := p.Labels[LabelControllerRevisionHash] == hash
		switch {
		case isNew && newP == nil:
			newP = p
		case !isNew && oldP == nil:
			oldP = p
		default:
			extra = append(extra, p)
		}
	}
	return newP, oldP, extra
}

// daemonTolerations are the tolerations Kubernetes adds to every daemon
// pod, so daemons keep running on nodes under pressure or cordoned.
var daemonTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// daemonPod makes ds's pod for node, bound and marked scheduled.
func daemonPod(ds *appsv1.DaemonSet, hash, node, name string) *corev1.Pod {
	t := ds.Spec.Template.DeepCopy()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       ds.Namespace,
			Name:            name,
			Labels:          copyLabels(t.Labels, LabelControllerRevisionHash, hash),
			Annotations:     t.Annotations,
			OwnerReferences: []metav1.OwnerReference{controllerRef(ds, "DaemonSet")},
		},
		Spec: t.Spec,
	}
	for _, tol := range daemonTolerations {
		if !hasToleration(p.Spec.Tolerations, tol) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, tol)
		}
	}
	p.Spec.NodeName = node
	p.Status.Phase = corev1.PodPending
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
	objects.SetTypeMeta(p, "Pod")
	return p
}

func hasToleration(tols []corev1.Toleration, t corev1.Toleration) bool {
	return slices.ContainsFunc(tols, func(have corev1.Toleration) bool { return have.Key == t.Key && have.Effect == t.Effect })
}

// nodeLost marks a pod whose node is gone as Failed.
func nodeLost(p *corev1.Pod, now time.Time) *corev1.Pod {
	c := p.DeepCopy()
	objects.SetTypeMeta(c, "Pod")
	c.Status.Phase, c.Status.Reason = corev1.PodFailed, ReasonNodeLost
	c.Status.Message = fmt.Sprintf("Node %q which was running pod %s is gone (%s)", p.Spec.NodeName, p.Name, now.UTC().Format(time.RFC3339))
	return c
}

func podsAsObjects(ps []*corev1.Pod) []objects.Object {
	out := make([]objects.Object, 0, len(ps))
	for _, p := range ps {
		out = append(out, p)
	}
	return out
}

func olderPod(a, b *corev1.Pod) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

func takenNames(pods []*corev1.Pod) map[string]bool {
	taken := make(map[string]bool, len(pods))
	for _, p := range pods {
		taken[p.Name] = true
	}
	return taken
}

// uniqueName is Kubernetes' generateName: <base>-<5 random chars>.
func uniqueName(base string, suffix Suffixes, taken map[string]bool) string {
	base += "-"
	if len(base) > maxGeneratedBase {
		base = base[:maxGeneratedBase]
	}
	name := base + suffix()
	for i := 0; taken[name] && i < 16; i++ {
		name = base + suffix()
	}
	taken[name] = true
	return name
}

func setDaemonSetCondition(conds []appsv1.DaemonSetCondition, c appsv1.DaemonSetCondition, now metav1.Time) []appsv1.DaemonSetCondition {
	for _, old := range conds {
		if old.Type == c.Type && old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return conds
		}
	}
	c.LastTransitionTime = now
	return []appsv1.DaemonSetCondition{c}
}

func (ch *Changes) addDaemonSetStatus(ds *appsv1.DaemonSet, st *appsv1.DaemonSetStatus) {
	if equality.Semantic.DeepEqual(&ds.Status, st) {
		return
	}
	c := ds.DeepCopy()
	c.Status = *st
	objects.SetTypeMeta(c, "DaemonSet")
	ch.UpdateStatus = append(ch.UpdateStatus, c)
}

// daemonSetStep is the DaemonSet entry's step: its pods (and orphans it
// may adopt) over every node.
func daemonSetStep(in Inputs, ds *appsv1.DaemonSet) Changes {
	pods := candidates[*corev1.Pod](in.cache, ds, "Pod")
	place := daemonPlacement(in.cache)
	return withWorkloadEvents(objects.KeyOf(ds), in.Component, ReconcileDaemonSetPlaced(ds, pods, in.cache.nodes(), place, in.Suffix, in.Now), in.Get, in.Now)
}

// expandDaemonSet previews a created DaemonSet: one pod per eligible
// node, created bound.
func expandDaemonSet(in PreviewInput) []*corev1.Pod {
	if !in.Created {
		return nil
	}
	ds := in.Object.(*appsv1.DaemonSet)
	return fixedPoint(func(ps []*corev1.Pod) Changes { return ReconcileDaemonSet(ds, ps, in.Nodes, in.Suffix, in.Now) })
}
