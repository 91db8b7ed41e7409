package controllers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// maxBindingsPerTx bounds one scheduling transaction; the runner writes
// more bindings in further transactions of the same pass.
const maxBindingsPerTx = 500

// podsPerPass bounds one scheduling pass with asynchronous binding: the
// pass's bindings go to the binder while the next pass places the next
// pods of the queue's round (Snapshot.NextPending).
const podsPerPass = 1000

// scheduleStep runs the scheduler over every pending pod: a binding for
// each pod placed, an unschedulable result for each pod that fits nowhere
// (PodScheduled=False, reason Unschedulable, with the per-reason node
// counts) unless its condition already says the same, so a steady
// unschedulable pod causes no write loop. Pending pods are retried on
// every node or pod change. Bindings come first.
func scheduleStep(in Inputs, _ objects.Key, _ objects.Object) Changes {
	snap := in.cache.sched
	var pending []*corev1.Pod
	more := false
	switch {
	case snap != nil && in.assume:
		pending, more = snap.NextPending(podsPerPass)
	case snap != nil:
		pending = snap.Pending()
	default:
		var bound []*corev1.Pod
		pending, bound = partitionPods(in.cache.pods())
		snap = scheduler.NewSnapshot(in.cache.nodes(), bound)
	}
	if len(pending) == 0 {
		return Changes{Scheduling: &SchedulingStats{}, Requeue: more} // nothing waits: 0 unschedulable
	}
	sched := *in.Scheduler // its own copy: NamespaceLabels are this pass's
	sched.Assume = in.assume && in.cache.sched != nil
	sched.NamespaceLabels = namespaceLabels(in.cache)
	sched.PodDisruptionBudgets = in.cache.budgets()
	// Kubernetes' system default spread for pods without constraints of
	// their own, over the workloads that select them.
	sched.DefaultSpreadSelector = scheduler.DefaultSpreadSelector(typed[*corev1.Service](in.cache.byKind["Service"]),
		typed[*appsv1.ReplicaSet](in.cache.byKind["ReplicaSet"]), typed[*appsv1.StatefulSet](in.cache.byKind["StatefulSet"]))
	res := sched.ScheduleOn(snap, pending)
	ch := Changes{Scheduling: &SchedulingStats{Scheduled: len(res.Bindings), Unschedulable: len(res.Unschedulable)},
		Assumed: sched.Assume, Requeue: more}
	for _, p := range pending {
		pk := scheduler.PodKey(p)
		if node, ok := res.Bindings[pk]; ok {
			ch.Bindings = append(ch.Bindings, Binding{Pod: p, Node: node})
			ch.Scheduling.Waited = append(ch.Scheduling.Waited, max(in.Now.Sub(p.CreationTimestamp.Time), 0))
		} else if f, ok := res.Unschedulable[pk]; ok && !sameUnschedulable(p, f.Message) {
			ch.Bindings = append(ch.Bindings, Binding{Pod: p, Message: f.Message})
		}
	}
	slices.SortStableFunc(ch.Bindings, func(a, b Binding) int { return -strings.Compare(a.Node, b.Node) }) // bindings first
	// Victims and nominations (preemption.go).
	preemptions(pending, res.Preemptions, in.Component, in.Now, &ch)
	return ch
}

// updateSnapshot feeds one informer change of a node or pod into the
// scheduler's snapshot (old and cur as the cache had them; cur nil when
// deleted).
func updateSnapshot(snap *scheduler.Snapshot, old, cur objects.Object) {
	switch o := either(cur, old).(type) {
	case *corev1.Node:
		if cur == nil {
			snap.DeleteNode(o.Name)
		} else {
			snap.SetNode(o)
		}
	case *corev1.Pod:
		if cur == nil {
			snap.DeletePod(o)
		} else {
			snap.SetPod(o)
		}
	}
}

// partitionPods splits pods into those waiting for a node and those
// holding a node's resources. A terminating pod is never placed, but one
// on a node still holds its resources until its agent has stopped it (as
// in Kubernetes), so its replacement cannot overcommit that node.
// Finished pods hold nothing.
func partitionPods(pods []*corev1.Pod) (pending, bound []*corev1.Pod) {
	for _, p := range pods {
		switch {
		case podTerminal(p):
		case p.Spec.NodeName != "":
			bound = append(bound, p)
		case p.DeletionTimestamp == nil:
			pending = append(pending, p)
		}
	}
	return pending, bound
}

// writeBinding writes one scheduling result. It re-reads the pod in the
// transaction: a pod that was deleted, replaced or bound meanwhile is
// skipped, and status written by the agent or others in between is kept.
// component names the scheduler in the Scheduled / FailedScheduling
// event, worded as Kubernetes' default-scheduler words them.
func writeBinding(tx *store.Tx, b Binding, component string, now metav1.Time) error {
	if b.Node != "" {
		// spec.nodeName and PodScheduled=True in one write: one watch
		// event that the agent sees bound and scheduled at once.
		changed := false
		bound, err := tx.BindPod(objects.KeyOf(b.Pod), b.Pod.UID, b.Node, func(stored *corev1.Pod) []corev1.PodCondition {
			var conds []corev1.PodCondition
			conds, changed = setPodCondition(stored.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, now)
			return conds
		})
		if err != nil || bound == nil || !changed {
			return err
		}
		return recordBindingEvent(tx, bound, b, component, now.Time)
	}
	o, err := tx.Get(objects.KeyOf(b.Pod))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	cur := o.(*corev1.Pod)
	if cur.UID != b.Pod.UID || cur.Spec.NodeName != "" {
		return nil
	}
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: scheduler.ReasonPodUnschedulable, Message: b.Message}
	conds, changed := setPodCondition(cur.Status.Conditions, cond, now)
	if !changed {
		return nil
	}
	if err := recordBindingEvent(tx, cur, b, component, now.Time); err != nil {
		return err
	}
	cur.Status.Conditions = conds
	return tx.UpdateStatus(cur)
}

func recordBindingEvent(tx *store.Tx, p *corev1.Pod, b Binding, component string, now time.Time) error {
	if b.Node != "" {
		return events.Record(tx, p, events.Normal, "Scheduled",
			fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, b.Node), component, now)
	}
	return events.Record(tx, p, events.Warning, "FailedScheduling", b.Message, component, now)
}

func sameUnschedulable(p *corev1.Pod, msg string) bool {
	c := podCondition(p, corev1.PodScheduled)
	return c != nil && c.Status == corev1.ConditionFalse && c.Reason == scheduler.ReasonPodUnschedulable && c.Message == msg
}

// namespaceLabels are the namespaces' labels, for pod affinity terms with a
// namespaceSelector.
func namespaceLabels(c *cache) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, ns := range typed[*corev1.Namespace](c.byKind["Namespace"]) {
		out[ns.Name] = ns.Labels
	}
	return out
}
