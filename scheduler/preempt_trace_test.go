package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// TestPreemptionTrace plays the scheduler's part of a preemption over
// successive Schedule calls, as the runner makes them, and records each
// result in testdata/preemption-trace.golden: a low-priority workload
// fills a node, a high-priority pod arrives and preempts, waits while its
// victims terminate (its room held against the victims' replacements),
// then is bound; the replacement stays pending with Kubernetes' reason.
func TestPreemptionTrace(t *testing.T) {
	nodes := []*corev1.Node{node("node1", "2", "4Gi", 110), node("node2", "2", "4Gi", 110, tainted("dedicated", "gpu"))}
	var b strings.Builder
	step := func(title string, pending, bound []*corev1.Pod) Result {
		r := Schedule(pending, nodes, bound)
		fmt.Fprintf(&b, "== %s\n", title)
		var lines []string
		for k, n := range r.Bindings {
			lines = append(lines, fmt.Sprintf("bind %s -> %s", k, n))
		}
		for k, f := range r.Unschedulable {
			line := fmt.Sprintf("pending %s: %s", k, f.Message)
			if pr, ok := r.Preemptions[k]; ok {
				var vs []string
				for _, v := range pr.Victims {
					vs = append(vs, fmt.Sprintf("%s (priority %d)", PodKey(v), *v.Spec.Priority))
				}
				line += fmt.Sprintf("\n  nominated %s; delete %s", pr.Node, strings.Join(vs, ", "))
			}
			lines = append(lines, line)
		}
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, "\n") + "\n")
		return r
	}

	low1 := pod("low-1", "1", "", prio(10), started(1))
	low2 := pod("low-2", "1", "", prio(10), started(2))
	step("a low-priority workload fills node1 (node2 is tainted)", []*corev1.Pod{low1, low2}, nil)
	low1.Spec.NodeName, low2.Spec.NodeName = "node1", "node1"

	high := pod("high", "1", "", prio(1000), created(10))
	never := pod("batch", "1", "", prio(500), never, created(11))
	r := step("a high-priority pod and a Never-preempting one arrive", []*corev1.Pod{high, never}, []*corev1.Pod{low1, low2})
	victim := r.Preemptions["default/high"].Victims[0]
	victim.DeletionTimestamp = terminatingTime()
	high.Status.NominatedNodeName = r.Preemptions["default/high"].Node

	replacement := pod("low-3", "1", "", prio(10), created(12))
	step("the victim terminates; its replacement arrives", []*corev1.Pod{high, never, replacement}, []*corev1.Pod{low1, low2})

	kept := low1
	if victim == low1 {
		kept = low2
	}
	step("the victim is gone", []*corev1.Pod{high, never, replacement}, []*corev1.Pod{kept})
	testkit.GoldenString(t, "testdata/preemption-trace.golden", b.String())
}
