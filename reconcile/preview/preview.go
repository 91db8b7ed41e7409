package preview

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Workload is the preview of one created or grown object.
type Workload struct {
	Key objects.Key `json:"key"`
	// Pods is how many new pods it makes.
	Pods int `json:"pods"`
	// Nodes counts the new pods per node they would go to.
	Nodes map[string]int `json:"nodes,omitempty"`
	// Unschedulable lists why pods fit on no node (one message per reason,
	// with the number of pods).
	Unschedulable []Reason `json:"unschedulable,omitempty"`
}

// Reason is a scheduling failure and how many pods it keeps pending.
type Reason struct {
	Message string `json:"message"`
	Pods    int    `json:"pods"`
}

// Plan previews the pods of plan's changes on the live nodes and pods.
func Plan(plan reconcile.Plan, nodes []*corev1.Node, live []*corev1.Pod, now time.Time) []Workload {
	var bound []*corev1.Pod
	for _, p := range live {
		if p.Spec.NodeName != "" && p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			bound = append(bound, p)
		}
	}
	n := 0
	suffix := func() string { n++; return fmt.Sprintf("%05d", n) }
	type group struct {
		key  objects.Key
		pods []*corev1.Pod
	}
	var groups []group
	var pending []*corev1.Pod
	for _, c := range plan.Changes {
		if c.Action == reconcile.Delete || c.Object == nil {
			continue
		}
		pods := expand(c, nodes, suffix, now)
		if len(pods) == 0 {
			continue
		}
		groups = append(groups, group{key: c.Key, pods: pods})
		for _, p := range pods {
			if p.Spec.NodeName == "" {
				pending = append(pending, p)
			}
		}
	}
	for _, g := range groups {
		for _, p := range g.pods {
			if p.Spec.NodeName != "" { // DaemonSet pods: they take their node's room too
				bound = append(bound, p)
			}
		}
	}
	res := scheduler.Schedule(pending, nodes, bound)
	out := make([]Workload, 0, len(groups))
	for _, g := range groups {
		w := Workload{Key: g.key, Pods: len(g.pods), Nodes: map[string]int{}}
		why := map[string]int{}
		for _, p := range g.pods {
			if p.Spec.NodeName != "" { // DaemonSet pods come bound
				w.Nodes[p.Spec.NodeName]++
				continue
			}
			k := scheduler.PodKey(p)
			if node, ok := res.Bindings[k]; ok {
				w.Nodes[node]++
			} else if f, ok := res.Unschedulable[k]; ok {
				why[f.Message]++
			} else {
				why["not placed (no nodes?)"]++
			}
		}
		for m, c := range why {
			w.Unschedulable = append(w.Unschedulable, Reason{Message: m, Pods: c})
		}
		sort.Slice(w.Unschedulable, func(i, j int) bool { return w.Unschedulable[i].Message < w.Unschedulable[j].Message })
		out = append(out, w)
	}
	return out
}

// expand returns the new pods one change brings, by the controllers
// registry's preview expansion of the object's kind.
func expand(c reconcile.Change, nodes []*corev1.Node, suffix controllers.Suffixes, now time.Time) []*corev1.Pod {
	in := controllers.PreviewInput{Kind: c.Key.Kind, Object: c.Object, Created: c.Action == reconcile.Create, Nodes: nodes, Suffix: suffix, Now: now}
	if !in.Created {
		in.Old = c.Old
	}
	return controllers.Expand(in)
}
