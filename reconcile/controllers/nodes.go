package controllers

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/nodelease"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// NodeMonitorPeriod is the granularity of the Node step's checks, as
// Kubernetes' node lifecycle controller looks at every node's lease every
// --node-monitor-period (5 s): a node's check is due on the first
// multiple of it at or after its grace period runs out, so the checks of
// thousands of nodes come due together a few times a minute instead of
// waking the runner for each node (its delayed items are scanned at
// every wake-up).
const NodeMonitorPeriod = 5 * time.Second

// monitorTick rounds t up to a multiple of NodeMonitorPeriod.
func monitorTick(t time.Time) time.Time {
	if r := t.Truncate(NodeMonitorPeriod); !r.Equal(t) {
		return r.Add(NodeMonitorPeriod)
	}
	return t
}

// ReasonNodeStatusUnknown is the Ready condition's reason after a missed
// heartbeat, as Kubernetes words it.
const ReasonNodeStatusUnknown = "NodeStatusUnknown"

// ReconcileNode marks a node Ready=Unknown when its agent's last sign of
// life is older than grace (NodeLifecycle.MonitorGracePeriod): the later
// of its lease's renewal (renewed, zero when it has none: the agent's
// heartbeats, reconcile/nodelease) and its last status post (the Ready
// condition's lastHeartbeatTime, or the node's creation if it never
// reported), as Kubernetes' node lifecycle controller takes whichever of
// the lease and the NodeStatus moved. Otherwise it asks to run again when
// the grace period would run out. The taints that follow the condition
// are NodeTaints'.
func ReconcileNode(n *corev1.Node, renewed time.Time, grace time.Duration, now time.Time) Changes {
	var ch Changes
	last := nodelease.Later(lastHeartbeat(n), renewed)
	if due := last.Add(grace); due.After(now) {
		ch.requeueAfter(monitorTick(due).Sub(now))
		return ch
	}
	if c := nodeReady(n); c != nil && c.Status == corev1.ConditionUnknown {
		return ch
	}
	c := n.DeepCopy()
	objects.SetTypeMeta(c, "Node")
	msg := fmt.Sprintf("The node's agent stopped posting node status: no heartbeat since %s (grace period %s). Check that `reconcile agent` runs on the node and reaches the controller.",
		last.UTC().Format(time.RFC3339), grace)
	cond := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, Reason: ReasonNodeStatusUnknown,
		Message: msg, LastHeartbeatTime: metav1.NewTime(last), LastTransitionTime: metav1.NewTime(now)}
	if r := nodeReady(c); r != nil {
		*r = cond
	} else {
		c.Status.Conditions = append(c.Status.Conditions, cond)
	}
	ch.UpdateStatus = append(ch.UpdateStatus, c)
	return ch
}

// MarkHeartbeat records an agent heartbeat on n: Ready=True with
// lastHeartbeatTime now (lastTransitionTime moves only if Ready was not
// True). The API server's heartbeat handler writes the result with
// UpdateStatus.
func MarkHeartbeat(n *corev1.Node, now time.Time) {
	t := metav1.NewTime(now)
	c := nodeReady(n)
	if c == nil {
		n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeReady})
		c = &n.Status.Conditions[len(n.Status.Conditions)-1]
	}
	if c.Status != corev1.ConditionTrue {
		c.LastTransitionTime = t
	}
	c.Status, c.Reason, c.Message, c.LastHeartbeatTime = corev1.ConditionTrue, "AgentReady", "reconcile agent is posting ready status", t
}

func nodeReady(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func lastHeartbeat(n *corev1.Node) time.Time {
	if c := nodeReady(n); c != nil && !c.LastHeartbeatTime.IsZero() {
		return c.LastHeartbeatTime.Time
	}
	return n.CreationTimestamp.Time
}

// nodeStep is the Node entry's step.
// It records Kubernetes' NodeNotReady event when the node goes Unknown,
// and marks the pods of an Unknown node not ready (PodsNotReady).
func nodeStep(in Inputs, n *corev1.Node) Changes {
	ch := ReconcileNode(n, in.renewTime(n.Name), in.Lifecycle.WithDefaults().MonitorGracePeriod, in.Now)
	cur := n
	for _, o := range ch.UpdateStatus {
		cur = o.(*corev1.Node)
		ch.Event(o, in.Component, events.Normal, ReasonNodeNotReady, fmt.Sprintf("Node %s status is now: NodeNotReady", o.GetName()), in.Now)
	}
	if c := nodeReady(cur); c == nil || c.Status != corev1.ConditionUnknown {
		return ch // the usual case (a heartbeat): do not look at the pods
	}
	for _, p := range PodsNotReady(cur, in.cache.pods(), in.Now) {
		ch.UpdateStatus = append(ch.UpdateStatus, p)
		ch.Event(p, in.Component, events.Warning, ReasonNodeNotReady, "Node is not ready", in.Now)
	}
	return ch
}

// PodsNotReady returns, for a node whose agent stopped posting status
// (Ready=Unknown), copies of its pods that still say Ready=True with
// Ready=False: Kubernetes' MarkPodsNotReady, so Endpoints stop sending
// them traffic while nobody knows whether they run. Their agent writes
// their real status again when it is back. Terminating pods are left as
// they are.
func PodsNotReady(n *corev1.Node, pods []*corev1.Pod, now time.Time) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Spec.NodeName != n.Name || p.DeletionTimestamp != nil {
			continue
		}
		for i, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				cp := p.DeepCopy()
				objects.SetTypeMeta(cp, "Pod")
				cp.Status.Conditions[i].Status = corev1.ConditionFalse
				cp.Status.Conditions[i].LastTransitionTime = metav1.NewTime(now)
				out = append(out, cp)
				break
			}
		}
	}
	return out
}

// ReasonNodeNotReady is the event on a node that stopped heartbeating.
const ReasonNodeNotReady = "NodeNotReady"
