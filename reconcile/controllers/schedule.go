package controllers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// maxBindingsPerTx bounds one scheduling transaction; more bindings are
// written in further transactions of the same pass.
const maxBindingsPerTx = 500

// schedule runs the scheduler over every pending pod and writes the
// result: a binding sets spec.nodeName (an Update) and PodScheduled=True
// (a status update); a pod that fits nowhere gets PodScheduled=False,
// reason Unschedulable, with the per-reason node counts. A pod whose
// condition already says the same is not written again, so a steady
// unschedulable pod causes no write loop. Pending pods are retried on every
// node or pod change.
func (m *Manager) schedule(ctx context.Context, now time.Time) error {
	pending, bound := partitionPods(m.cache.pods())
	if len(pending) == 0 {
		return nil
	}
	res := m.cfg.Scheduler.Schedule(pending, m.cache.nodes(), bound)

	var writes []podWrite
	for _, p := range pending {
		pk := scheduler.PodKey(p)
		if node, ok := res.Bindings[pk]; ok {
			writes = append(writes, podWrite{pod: p, node: node})
		} else if f, ok := res.Unschedulable[pk]; ok && !sameUnschedulable(p, f.Message) {
			writes = append(writes, podWrite{pod: p, message: f.Message})
		}
	}
	sort.Slice(writes, func(i, j int) bool { return writes[i].node > writes[j].node }) // bindings first
	for len(writes) > 0 {
		batch := writes[:min(len(writes), maxBindingsPerTx)]
		writes = writes[len(batch):]
		mnow := metav1.NewTime(now)
		err := m.st.Update(func(tx *store.Tx) error {
			for _, w := range batch {
				if err := w.write(tx, mnow); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			m.q.retry(keySchedule, now)
			m.log.Error("writing pod bindings failed; will retry", "err", err)
		} else {
			m.q.succeeded(keySchedule)
			for _, w := range batch {
				if w.node != "" {
					m.log.Info("bound", "pod", scheduler.PodKey(w.pod), "node", w.node)
				} else {
					m.log.Info("unschedulable", "pod", scheduler.PodKey(w.pod), "reason", w.message)
				}
			}
		}
		if err := m.catchUp(ctx, m.st.ResourceVersion()); err != nil {
			return err
		}
	}
	return nil
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

// podWrite is one scheduling result: a binding (node set) or an
// unschedulable condition (message set).
type podWrite struct {
	pod     *corev1.Pod
	node    string
	message string
}

// write re-reads the pod in the transaction: a pod that was deleted,
// replaced or bound meanwhile is skipped, and status written by the agent
// or others in between is kept.
func (w podWrite) write(tx *store.Tx, now metav1.Time) error {
	o, err := tx.Get(objects.KeyOf(w.pod))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	cur := o.(*corev1.Pod)
	if cur.UID != w.pod.UID || cur.Spec.NodeName != "" {
		return nil
	}
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}
	if w.node != "" {
		cur.Spec.NodeName = w.node
		if err := tx.Update(cur); err != nil {
			return err
		}
	} else {
		cond.Status, cond.Reason, cond.Message = corev1.ConditionFalse, scheduler.ReasonPodUnschedulable, w.message
	}
	conds, changed := setPodCondition(cur.Status.Conditions, cond, now)
	if !changed {
		return nil
	}
	if err := w.recordEvent(tx, cur, now.Time); err != nil {
		return err
	}
	cur.Status.Conditions = conds
	return tx.UpdateStatus(cur)
}

// recordEvent records Scheduled or FailedScheduling, as Kubernetes'
// default-scheduler words them.
func (w podWrite) recordEvent(tx *store.Tx, p *corev1.Pod, now time.Time) error {
	if w.node != "" {
		return events.Record(tx, p, events.Normal, "Scheduled",
			fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, w.node), "default-scheduler", now)
	}
	return events.Record(tx, p, events.Warning, "FailedScheduling", w.message, "default-scheduler", now)
}

func sameUnschedulable(p *corev1.Pod, msg string) bool {
	c := podCondition(p, corev1.PodScheduled)
	return c != nil && c.Status == corev1.ConditionFalse && c.Reason == scheduler.ReasonPodUnschedulable && c.Message == msg
}
