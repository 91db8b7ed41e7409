package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// PodsToEvict returns the pods bound to one of the nodes (NodesToEvict's
// answer): their node has not been Ready for PodEvictionTimeout, so no
// agent will stop them and finalize their graceful deletion. They are
// removed for good (force-deleted), so their controllers create
// replacements on nodes that work.
func PodsToEvict(nodes []string, pods []*corev1.Pod) []*corev1.Pod {
	gone := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		gone[n] = true
	}
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Spec.NodeName != "" && gone[p.Spec.NodeName] {
			out = append(out, p)
		}
	}
	return out
}

// evictionStep is the node controller's eviction step: it force-deletes
// the pods of nodes NotReady past the eviction timeout, with a
// NodeNotReadyEviction event on each pod, so their controllers replace
// them on nodes that work.
func evictionStep(in Inputs, _ objects.Key, _ objects.Object) Changes {
	var ch Changes
	nodes := NodesToEvict(in.cache.nodes(), in.Now)
	if len(nodes) == 0 {
		return ch // the usual case: do not scan every pod
	}
	for _, p := range PodsToEvict(nodes, in.cache.pods()) {
		ch.ForceDelete = append(ch.ForceDelete, p)
		msg := fmt.Sprintf("Deleting pod %s/%s: node %s has not been ready for %s", p.Namespace, p.Name, p.Spec.NodeName, PodEvictionTimeout)
		ch.Event(p, in.Component, events.Warning, "NodeNotReadyEviction", msg, in.Now)
	}
	return ch
}
