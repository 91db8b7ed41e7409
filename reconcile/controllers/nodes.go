package controllers

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Node lifecycle timings, Kubernetes' defaults (DESIGN.md §6).
const (
	// NodeMonitorGracePeriod: a node whose agent has not heartbeated for
	// this long is marked Ready=Unknown and gets no new pods.
	NodeMonitorGracePeriod = 40 * time.Second
	// PodEvictionTimeout: pods on a node NotReady this long are to be
	// evicted and rescheduled (NodesToEvict, evictionStep).
	PodEvictionTimeout = 300 * time.Second
)

// ReasonNodeStatusUnknown is the Ready condition's reason after a missed
// heartbeat, as Kubernetes words it.
const ReasonNodeStatusUnknown = "NodeStatusUnknown"

// ReconcileNode marks a node Ready=Unknown when its agent's last heartbeat
// (the Ready condition's lastHeartbeatTime, or the node's creation if it
// never reported) is older than NodeMonitorGracePeriod. Otherwise it asks
// to run again when the grace period would run out.
func ReconcileNode(n *corev1.Node, now time.Time) Changes {
	var ch Changes
	last := lastHeartbeat(n)
	if wait := last.Add(NodeMonitorGracePeriod).Sub(now); wait > 0 {
		ch.requeueAfter(wait)
		return ch
	}
	if c := nodeReady(n); c != nil && c.Status == corev1.ConditionUnknown {
		return ch
	}
	c := n.DeepCopy()
	objects.SetTypeMeta(c, "Node")
	msg := fmt.Sprintf("The node's agent stopped posting node status: no heartbeat since %s (grace period %s). Check that `reconcile agent` runs on the node and reaches the controller.",
		last.UTC().Format(time.RFC3339), NodeMonitorGracePeriod)
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

// NodesToEvict is the eviction hook: the nodes whose pods should be evicted
// because they have not been Ready for PodEvictionTimeout. As Kubernetes
// does, when no node at all is Ready nothing is evicted: the controller may
// be the one cut off. The #evictions step force-deletes their pods
// (evictionStep), so their controllers replace them.
func NodesToEvict(nodes []*corev1.Node, now time.Time) []string {
	var out []string
	anyReady := false
	for _, n := range nodes {
		c := nodeReady(n)
		if c != nil && c.Status == corev1.ConditionTrue {
			anyReady = true
			continue
		}
		since := n.CreationTimestamp.Time
		if c != nil {
			since = c.LastTransitionTime.Time
		}
		if now.Sub(since) >= PodEvictionTimeout {
			out = append(out, n.Name)
		}
	}
	if !anyReady {
		return nil
	}
	return out
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
func nodeStep(in Inputs, n *corev1.Node) Changes { return ReconcileNode(n, in.Now) }
