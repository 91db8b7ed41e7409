package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// budgetFor is a budget over app=name allowing that many disruptions.
func budgetFor(name string, allowed int32) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec:   policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
		Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed}}
}

// TestPreemptionPodDisruptionBudgets follows kube-scheduler's
// default_preemption_test.go cases with PodDisruptionBudgets: victims
// that keep every budget are preferred (reprieved last, and the node with
// the fewest violations wins), but a budget never stops a preemption.
func TestPreemptionPodDisruptionBudgets(t *testing.T) {
	n1, n2 := node("node1", "4", "16Gi", 110), node("node2", "4", "16Gi", 110)
	tests := []struct {
		name    string
		pending []*corev1.Pod
		nodes   []*corev1.Node
		bound   []*corev1.Pod
		pdbs    []*policyv1.PodDisruptionBudget
		want    string
	}{
		{"the node without a budget violation wins over the first by name", []*corev1.Pod{pod("p", "4", "", prio(highPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority), app("web")), pod("b", "4", "", on("node2"), prio(lowPriority))},
			[]*policyv1.PodDisruptionBudget{budgetFor("web", 0)}, "preempt default/p on node2: b"},
		{"a budget that allows the disruption is no violation", []*corev1.Pod{pod("p", "4", "", prio(highPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority), app("web")), pod("b", "4", "", on("node2"), prio(lowPriority))},
			[]*policyv1.PodDisruptionBudget{budgetFor("web", 1)}, "preempt default/p on node1: a"},
		{"violating victims are reprieved first", []*corev1.Pod{pod("p", "2", "", prio(highPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "2", "", on("node1"), prio(lowPriority), app("web")), pod("b", "2", "", on("node1"), prio(midPriority))},
			[]*policyv1.PodDisruptionBudget{budgetFor("web", 0)}, "preempt default/p on node1: b"},
		{"without the budget the more important pod is reprieved", []*corev1.Pod{pod("p", "2", "", prio(highPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "2", "", on("node1"), prio(lowPriority), app("web")), pod("b", "2", "", on("node1"), prio(midPriority))},
			nil, "preempt default/p on node1: a"},
		{"a budget is a best effort: the only victim is preempted", []*corev1.Pod{pod("p", "4", "", prio(highPriority))}, []*corev1.Node{n1},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority), app("web"))},
			[]*policyv1.PodDisruptionBudget{budgetFor("web", 0)}, "preempt default/p on node1: a"},
		{"fewer violations beat a lower victim priority", []*corev1.Pod{pod("p", "4", "", prio(veryHighPriority))}, []*corev1.Node{n1, n2},
			[]*corev1.Pod{pod("a", "4", "", on("node1"), prio(lowPriority), app("web")), pod("b", "4", "", on("node2"), prio(highPriority))},
			[]*policyv1.PodDisruptionBudget{budgetFor("web", 0)}, "preempt default/p on node2: b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			s.PodDisruptionBudgets = tc.pdbs
			got := renderResult(s.Schedule(tc.pending, tc.nodes, tc.bound))
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
