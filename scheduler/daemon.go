package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// DaemonPodFits reports why a DaemonSet's pod must not run on node: the
// node's labels do not match the pod's nodeSelector or required node
// affinity (Kubernetes' NodeAffinity filter), or the node has a
// NoSchedule/NoExecute taint the pod does not tolerate (a cordoned node
// counts as the unschedulable taint). An empty result means the node is
// eligible. Readiness and free resources are not checked: as in
// Kubernetes, a daemon pod belongs on every eligible node, ready or not.
//
// The DaemonSet controller binds its pods itself (spec.nodeName set at
// creation), so Schedule never sees them as pending; bound daemon pods
// still count against their node's resources for the pods Schedule places.
func DaemonPodFits(pod *corev1.Pod, node *corev1.Node) []string {
	p := newPodInfo(pod)
	n := newNodeInfo(node)
	n.ready = true // a daemon pod belongs on a node ready or not
	for _, f := range []FilterPlugin{NodeUnschedulable{}, NodeAffinity{}, TaintToleration{}} {
		if r := f.Filter(p, n); len(r) > 0 {
			return r
		}
	}
	return nil
}

// DaemonPodMayStay reports why a DaemonSet's pod already on node must go:
// the node's labels no longer match its nodeSelector or required node
// affinity, or the node has a
// NoExecute taint it does not tolerate. A node it would not be placed on
// now (a NoSchedule taint such as node.kubernetes.io/unreachable:NoSchedule
// on a node that stopped heartbeating) keeps the pod it has, as
// Kubernetes' DaemonSet controller does (shouldContinueRunning).
func DaemonPodMayStay(pod *corev1.Pod, node *corev1.Node) []string {
	p := newPodInfo(pod)
	n := newNodeInfo(node)
	n.ready = true // a daemon pod belongs on a node ready or not
	if r := (NodeAffinity{}).Filter(p, n); len(r) > 0 {
		return r
	}
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if t.Effect == corev1.TaintEffectNoExecute && !tolerates(pod.Spec.Tolerations, t) {
			return []string{fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)}
		}
	}
	return nil
}
