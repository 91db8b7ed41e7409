package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Priorities as kube-scheduler's default_preemption_test.go names them.
const (
	negPriority, lowPriority, midPriority, highPriority, veryHighPriority int32 = -100, 0, 100, 1000, 10000
)

func prio(v int32) podOpt { return func(p *corev1.Pod) { p.Spec.Priority = ptr.To(v) } }
func never(p *corev1.Pod) { p.Spec.PreemptionPolicy = ptr.To(corev1.PreemptNever) }
func started(minutes int) podOpt {
	return func(p *corev1.Pod) {
		p.Status.StartTime = ptr.To(metav1.NewTime(t0.Add(time.Duration(minutes) * time.Minute)))
	}
}
func nominated(node string) podOpt  { return func(p *corev1.Pod) { p.Status.NominatedNodeName = node } }
func terminating(p *corev1.Pod)     { p.DeletionTimestamp = terminatingTime() }
func terminatingTime() *metav1.Time { return ptr.To(metav1.NewTime(t0)) }
func created(minutes int) podOpt {
	return func(p *corev1.Pod) {
		p.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(minutes) * time.Minute))
	}
}

// renderResult is a Schedule result on lines: bindings, preemptions
// (node: victims), unschedulable pods.
func renderResult(r Result) string {
	var lines []string
	for k, n := range r.Bindings {
		lines = append(lines, "bind "+k+" "+n)
	}
	for k, pr := range r.Preemptions {
		var vs []string
		for _, v := range pr.Victims {
			vs = append(vs, v.Name)
		}
		lines = append(lines, fmt.Sprintf("preempt %s on %s: %s", k, pr.Node, strings.Join(vs, ",")))
	}
	for k := range r.Unschedulable {
		if _, ok := r.Preemptions[k]; !ok {
			lines = append(lines, "pending "+k)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestPreemption follows kube-scheduler's default_preemption_test.go
// (TestSelectNodesForPreemption, TestSelectBestCandidate,
// TestPodEligibleToPreemptOthers): same shapes, same verdicts, cpu as the
// scarce resource (nodes of 4 cpu).
func TestPreemption(t *testing.T) {
	n1, n2, n3 := node("node1", "4", "16Gi", 110), node("node2", "4", "16Gi", 110), node("node3", "4", "16Gi", 110)
	tests := []struct {
		name    string
		pending []*corev1.Pod
		nodes   []*corev1.Node
		bound   []*corev1.Pod
		want    string
	}{
		{"a pod that fits with no preemption", []*corev1.Pod{pod("p", "1", "", prio(highPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "1", "", on("node1"), prio(midPriority))}, "bind default/p node1"},
		{"a pod that fits on no node even empty", []*corev1.Pod{pod("p", "5", "", prio(highPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority))}, "pending default/p"},
		{"a pod that fits on both nodes when lower priority pods are preempted: the first node", []*corev1.Pod{pod("p", "4", "", prio(highPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(midPriority)), pod("b", "4", "", on("node2"), prio(midPriority))},
			"preempt default/p on node1: a"},
		{"other pods running are higher priority: no preemption", []*corev1.Pod{pod("p", "4", "", prio(midPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "2", "", on("node1"), prio(highPriority)), pod("b", "4", "", on("node2"), prio(midPriority))},
			"pending default/p"},
		{"medium priority pod is preempted, but lower priority one stays as it is small (reprieve)", []*corev1.Pod{pod("p", "2", "", prio(highPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "1", "", on("node1"), prio(lowPriority)), pod("b", "2", "", on("node1"), prio(midPriority)), pod("c", "1", "", on("node1"), prio(veryHighPriority))},
			"preempt default/p on node1: b"},
		{"reprieve most important first: the higher-priority small pod stays", []*corev1.Pod{pod("p", "2", "", prio(highPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "2", "", on("node1"), prio(lowPriority)), pod("b", "2", "", on("node1"), prio(midPriority))},
			"preempt default/p on node1: a"},
		{"node with min highest priority pod is picked", []*corev1.Pod{pod("p", "4", "", prio(veryHighPriority))}, []*corev1.Node{n1, n2, n3},
			[]*corev1.Pod{
				pod("a1", "2", "", on("node1"), prio(midPriority)), pod("a2", "2", "", on("node1"), prio(lowPriority)),
				pod("b1", "2", "", on("node2"), prio(highPriority)), pod("b2", "2", "", on("node2"), prio(lowPriority)),
				pod("c1", "2", "", on("node3"), prio(highPriority)), pod("c2", "2", "", on("node3"), prio(negPriority)),
			}, "preempt default/p on node1: a1,a2"},
		{"when highest priorities are the same, minimum sum of lower priority pods is used", []*corev1.Pod{pod("p", "4", "", prio(veryHighPriority))}, []*corev1.Node{n1, n2, n3},
			[]*corev1.Pod{
				pod("a1", "2", "", on("node1"), prio(midPriority)), pod("a2", "2", "", on("node1"), prio(lowPriority)),
				pod("b1", "2", "", on("node2"), prio(midPriority)), pod("b2", "2", "", on("node2"), prio(negPriority)),
				pod("c1", "2", "", on("node3"), prio(midPriority)), pod("c2", "2", "", on("node3"), prio(midPriority)),
			}, "preempt default/p on node2: b1,b2"},
		{"a node with fewer victims is picked", []*corev1.Pod{pod("p", "2", "", prio(veryHighPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{
				pod("a1", "1", "", on("node1"), prio(midPriority)), pod("a2", "1", "", on("node1"), prio(midPriority)), pod("a3", "2", "", on("node1"), prio(veryHighPriority)),
				pod("b1", "2", "", on("node2"), prio(midPriority)), pod("b2", "2", "", on("node2"), prio(veryHighPriority)),
			}, "preempt default/p on node2: b1"},
		{"a node with pods with latest start time is picked", []*corev1.Pod{pod("p", "2", "", prio(veryHighPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{
				pod("a1", "2", "", on("node1"), prio(midPriority), started(1)), pod("a2", "2", "", on("node1"), prio(veryHighPriority)),
				pod("b1", "2", "", on("node2"), prio(midPriority), started(5)), pod("b2", "2", "", on("node2"), prio(veryHighPriority)),
			}, "preempt default/p on node2: b1"},
		{"all nodes are the same: the first name is picked", []*corev1.Pod{pod("p", "4", "", prio(highPriority))}, []*corev1.Node{n3, n2},
			[]*corev1.Pod{pod("b", "4", "", on("node2"), prio(lowPriority)), pod("c", "4", "", on("node3"), prio(lowPriority))},
			"preempt default/p on node2: b"},
		{"a node refusing for other reasons than room is not a candidate", []*corev1.Pod{pod("p", "4", "", prio(highPriority), selects("disk", "ssd"))},
			[]*corev1.Node{node("node1", "4", "16Gi", 110, labelled("disk", "hdd")), node("node2", "4", "16Gi", 110, labelled("disk", "ssd"), tainted("dedicated", "x")), node("node3", "4", "16Gi", 110, labelled("disk", "ssd"), notReady)},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority)), pod("b", "4", "", on("node2"), prio(lowPriority)), pod("c", "4", "", on("node3"), prio(lowPriority))},
			"pending default/p"},
		{"too many pods is resolvable", []*corev1.Pod{pod("p", "", "", prio(highPriority))}, []*corev1.Node{node("node1", "4", "16Gi", 1)},
			[]*corev1.Pod{pod("a", "", "", on("node1"), prio(lowPriority))}, "preempt default/p on node1: a"},
		{"preemptionPolicy Never never preempts", []*corev1.Pod{pod("p", "4", "", prio(highPriority), never)}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority))}, "pending default/p"},
		{"a nominated pod waits while its lower-priority victims terminate", []*corev1.Pod{pod("p", "4", "", prio(highPriority), nominated("node1"))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority), terminating), pod("b", "4", "", on("node2"), prio(lowPriority))},
			"pending default/p"},
		{"terminating pods are never victims", []*corev1.Pod{pod("p", "4", "", prio(highPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "2", "", on("node1"), prio(lowPriority), terminating), pod("b", "2", "", on("node1"), prio(lowPriority))},
			"pending default/p"},
		{"the nominated node's room is held against lower priority pods", []*corev1.Pod{pod("p", "4", "", prio(highPriority), nominated("node1")), pod("q", "1", "", prio(lowPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "1", "", on("node1"), prio(lowPriority), terminating)},
			"pending default/p\npending default/q"},
		{"once the victims are gone the nominated pod is bound", []*corev1.Pod{pod("p", "4", "", prio(highPriority), nominated("node1")), pod("q", "1", "", prio(lowPriority))}, []*corev1.Node{n1},
			nil, "bind default/p node1\npending default/q"},
		{"two preemptors never share a victim", []*corev1.Pod{pod("p1", "4", "", prio(highPriority)), pod("p2", "4", "", prio(highPriority), created(1))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority)), pod("b", "4", "", on("node2"), prio(lowPriority))},
			"preempt default/p1 on node1: a\npreempt default/p2 on node2: b"},
		{"higher priority is placed first", []*corev1.Pod{pod("low", "4", "", prio(lowPriority)), pod("high", "4", "", prio(highPriority), created(5))}, []*corev1.Node{n1},
			nil, "bind default/high node1\npending default/low"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := renderResult(Schedule(tc.pending, tc.nodes, tc.bound))
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// BenchmarkPreemption: 100 pending high-priority pods on 100 full nodes
// running 1,000 low-priority pods: each pod preempts (a scan of every
// node's victims); and the same with equal priorities, where preemption
// is skipped unscanned.
func BenchmarkPreemption(b *testing.B) {
	for _, tc := range []struct {
		name string
		high int32
	}{{"higher", 1000}, {"equal", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			var nodes []*corev1.Node
			var bound, pending []*corev1.Pod
			for i := range 100 {
				nodes = append(nodes, node(fmt.Sprintf("node-%03d", i), "10", "64Gi", 110))
			}
			for i := range 1000 {
				bound = append(bound, pod(fmt.Sprintf("low-%04d", i), "1", "", on(nodes[i%100].Name), prio(0), started(i)))
			}
			for i := range 100 {
				pending = append(pending, pod(fmt.Sprintf("high-%03d", i), "2", "", prio(tc.high)))
			}
			b.ReportAllocs()
			for b.Loop() {
				res := Schedule(pending, nodes, bound)
				if want := map[int32]int{1000: 100, 0: 0}[tc.high]; len(res.Preemptions) != want {
					b.Fatalf("%d preemptions, want %d", len(res.Preemptions), want)
				}
			}
		})
	}
}
