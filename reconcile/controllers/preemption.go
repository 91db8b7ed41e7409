package controllers

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ReasonPreempted is the event on a pod deleted to make room for a pod of
// higher priority, as kube-scheduler records it.
const ReasonPreempted = "Preempted"

// preemptions turns the scheduler's preemptions into changes: each victim
// is deleted gracefully (Changes.Delete: its terminationGracePeriodSeconds
// are honoured by its agent) with the Normal event Preempted worded as
// kube-scheduler's ("Preempted by pod <uid> on node <node>") and the
// condition DisruptionTarget (reason PreemptionByScheduler), and the
// preemptor gets status.nominatedNodeName; it stays pending and a later
// pass binds it once the victims are gone.
func preemptions(pending []*corev1.Pod, prs map[string]scheduler.Preemption, component string, now time.Time, ch *Changes) {
	if len(prs) == 0 {
		return
	}
	for _, p := range pending {
		pr, ok := prs[scheduler.PodKey(p)]
		if !ok {
			continue
		}
		for _, v := range pr.Victims {
			// Kubernetes marks the victim before deleting it, so its
			// status says why it went.
			target := v.DeepCopy()
			target.Status.Conditions, _ = setPodCondition(target.Status.Conditions, corev1.PodCondition{
				Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: corev1.PodReasonPreemptionByScheduler,
				Message: component + ": preempting to accommodate a higher priority pod"}, metav1.NewTime(now))
			objects.SetTypeMeta(target, "Pod")
			ch.UpdateStatus = append(ch.UpdateStatus, target)
			ch.Delete = append(ch.Delete, v)
			ch.Event(v, component, events.Normal, ReasonPreempted, fmt.Sprintf("Preempted by pod %s on node %s", p.UID, pr.Node), now)
		}
		if p.Status.NominatedNodeName != pr.Node {
			n := p.DeepCopy()
			n.Status.NominatedNodeName = pr.Node
			objects.SetTypeMeta(n, "Pod")
			ch.UpdateStatus = append(ch.UpdateStatus, n)
		}
	}
}
