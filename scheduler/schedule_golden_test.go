package scheduler

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// scenario is one case of testdata/schedule_scenarios.yaml: a cluster and
// the pods to place, in creation order.
type scenario struct {
	Name    string         `json:"name"`
	Nodes   []*corev1.Node `json:"nodes"`
	Bound   []*corev1.Pod  `json:"bound"`
	Pending []*corev1.Pod  `json:"pending"`
}

// TestScheduleScenarios places each scenario's pending pods with the
// default plugins and renders where every pod went, or why it went
// nowhere, into testdata/schedule.golden (-update rewrites it).
func TestScheduleScenarios(t *testing.T) {
	data, err := os.ReadFile("testdata/schedule_scenarios.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var scenarios []scenario
	if err := yaml.UnmarshalStrict(data, &scenarios); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, sc := range scenarios {
		tc := pluginCase{Nodes: sc.Nodes, Bound: sc.Bound, Pod: &corev1.Pod{}}
		caseCluster(tc) // fills in node and pod defaults
		for i, p := range sc.Pending {
			if p.Namespace == "" {
				p.Namespace = "default"
			}
			if len(p.Spec.Containers) == 0 {
				p.Spec.Containers = []corev1.Container{{Name: "c", Image: "img"}}
			}
			p.CreationTimestamp.Time = t0.Add(time.Duration(i) * time.Second)
		}
		res := Schedule(sc.Pending, sc.Nodes, sc.Bound)
		fmt.Fprintf(&b, "== %s\n", sc.Name)
		for _, p := range sc.Pending {
			key := PodKey(p)
			if n, ok := res.Bindings[key]; ok {
				fmt.Fprintf(&b, "%s -> %s\n", p.Name, n)
			} else {
				fmt.Fprintf(&b, "%s Pending: %s\n", p.Name, res.Unschedulable[key].Message)
			}
		}
		if len(res.Bindings)+len(res.Unschedulable) != len(sc.Pending) {
			t.Errorf("%s: %d bindings + %d unschedulable for %d pending pods", sc.Name, len(res.Bindings), len(res.Unschedulable), len(sc.Pending))
		}
		b.WriteString("\n")
	}
	testkit.GoldenString(t, "testdata/schedule.golden", b.String())
}
