package controllers

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ReasonFailedPlacement is the Warning event on a DaemonSet whose pod does
// not fit on an eligible node (Kubernetes' DaemonSet controller's word
// from when it placed its pods itself, as reconcile's still does).
const ReasonFailedPlacement = "FailedPlacement"

// daemonPlacementRetry is how soon a DaemonSet whose pod did not fit
// looks again (pods leaving a node do not queue it).
const daemonPlacementRetry = 30 * time.Second

// DaemonPlacement decides whether a new daemon pod fits on its node:
// scheduler.DaemonPodPlacement over the pods bound there, the pod's
// priority resolved from its class.
type DaemonPlacement func(p *corev1.Pod, node *corev1.Node) (victims []*corev1.Pod, reasons []string)

// daemonPlacement builds the runner's DaemonPlacement from the cache: the
// pods holding each node's resources (terminating ones too, as the
// scheduler counts them) and the PriorityClasses.
func daemonPlacement(c *cache) DaemonPlacement {
	classes := c.priorityClasses()
	var onNode map[string][]*corev1.Pod
	return func(p *corev1.Pod, node *corev1.Node) ([]*corev1.Pod, []string) {
		if onNode == nil { // only when the DaemonSet creates a pod
			onNode = map[string][]*corev1.Pod{}
			_, bound := partitionPods(c.pods())
			for _, q := range bound {
				onNode[q.Spec.NodeName] = append(onNode[q.Spec.NodeName], q)
			}
		}
		probe := p.DeepCopy()
		if err := classes.Admit(probe); err != nil {
			return nil, nil // refused at creation with FailedCreate (AdmitCreatedPods)
		}
		return scheduler.DaemonPodPlacement(probe, node, onNode[node.Name])
	}
}

// placeDaemonPod reports whether p may be created on node: it fits, or it
// preempts (its victims are added to victims with the Preempted event);
// otherwise the DaemonSet gets FailedPlacement and is retried.
func placeDaemonPod(ds *appsv1.DaemonSet, p *corev1.Pod, node *corev1.Node, place DaemonPlacement, ch *Changes, victims *[]objects.Object, now time.Time) bool {
	if node == nil {
		return true
	}
	vs, reasons := place(p, node)
	if len(reasons) > 0 {
		ch.Event(ds, ComponentDaemonSet, events.Warning, ReasonFailedPlacement,
			fmt.Sprintf("failed to place pod on %q: %s", node.Name, strings.Join(reasons, ", ")), now)
		ch.requeueAfter(daemonPlacementRetry)
		return false
	}
	for _, v := range vs {
		*victims = append(*victims, v)
		ch.Event(v, ComponentDaemonSet, events.Normal, ReasonPreempted,
			fmt.Sprintf("Preempted by pod %s/%s on node %s", p.Namespace, p.Name, node.Name), now)
	}
	return true
}
