package reconcile

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func bare(name, class string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.PodSpec{PriorityClassName: class, Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
	objects.SetTypeMeta(p, "Pod")
	return p
}

func class(name string, value int32, def bool, policy corev1.PreemptionPolicy) *schedulingv1.PriorityClass {
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value, GlobalDefault: def, PreemptionPolicy: &policy}
	objects.SetTypeMeta(pc, "PriorityClass")
	return pc
}

// TestPlanAdmitsBarePods: a bare pod gets its priority from its class as
// the plan leaves the classes (stored, created in the same commit,
// deleted by it), from the globalDefault without a class, and an unknown
// class refuses the commit at the pod's file.
func TestPlanAdmitsBarePods(t *testing.T) {
	high := class("high", 1000, false, corev1.PreemptLowerPriority)
	never := class("never", 500, false, corev1.PreemptNever)
	def := class("def", 7, true, corev1.PreemptLowerPriority)
	tests := []struct {
		name    string
		desired []Desired
		stored  []objects.Object
		want    string // "pod=priority/policy" or the error
	}{
		{"class in the same commit", []Desired{{Object: high, Path: "pc.yaml"}, {Object: bare("p", "high"), Path: "p.yaml"}}, nil, "p=1000/PreemptLowerPriority"},
		{"stored class", []Desired{{Object: bare("p", "never"), Path: "p.yaml"}}, []objects.Object{never}, "p=500/Never"},
		{"built-in class", []Desired{{Object: bare("p", "system-node-critical"), Path: "p.yaml"}}, nil, "p=2000001000/PreemptLowerPriority"},
		{"no class, no default", []Desired{{Object: bare("p", ""), Path: "p.yaml"}}, nil, "p=0/PreemptLowerPriority"},
		{"no class, global default", []Desired{{Object: bare("p", ""), Path: "p.yaml"}}, []objects.Object{def}, "p=7/PreemptLowerPriority"},
		{"unknown class, at the manifest's position", []Desired{{Object: bare("p", "gold"), Path: "p.yaml", Line: 3, Col: 1}}, nil,
			`p.yaml:3:1: Pod/default/p: pods "p" is forbidden: no PriorityClass with name gold was found (known classes: system-cluster-critical, system-node-critical); add a PriorityClass of that name or fix spec.priorityClassName`},
		{"class deleted by the same commit", []Desired{{Object: bare("p", "high"), Path: "p.yaml"}}, []objects.Object{storedAs(high, "apps", "pc.yaml")},
			`p.yaml: Pod/default/p: pods "p" is forbidden: no PriorityClass with name high was found (known classes: system-cluster-critical, system-node-critical); add a PriorityClass of that name or fix spec.priorityClassName`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanChanges(tc.desired, tc.stored, PlanOptions{Source: "apps", Prune: true})
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.Error())
			}
			for _, c := range p.Changes {
				if pod, ok := c.Object.(*corev1.Pod); ok && len(p.Errors) == 0 {
					got = append(got, fmt.Sprintf("%s=%d/%s", pod.Name, *pod.Spec.Priority, *pod.Spec.PreemptionPolicy))
				}
			}
			if s := strings.Join(got, "\n"); s != tc.want {
				t.Errorf("got\n%s\nwant\n%s", s, tc.want)
			}
		})
	}
}

// TestPlanKeepsAdmittedPriority: re-applying the manifest of a pod whose
// priority was resolved at creation changes nothing; changing its class
// resolves it anew.
func TestPlanKeepsAdmittedPriority(t *testing.T) {
	high := class("high", 1000, false, corev1.PreemptLowerPriority)
	low := class("low", 1, false, corev1.PreemptLowerPriority)
	first := PlanChanges([]Desired{{Object: bare("p", "high"), Path: "p.yaml"}}, []objects.Object{high, low}, PlanOptions{Source: "apps"})
	if len(first.Changes) != 1 || len(first.Errors) != 0 {
		t.Fatalf("first plan: %+v", first)
	}
	stored := storedAs(first.Changes[0].Object, "apps", "p.yaml")
	again := PlanChanges([]Desired{{Object: bare("p", "high"), Path: "p.yaml"}}, []objects.Object{high, low, stored}, PlanOptions{Source: "apps"})
	if len(again.Changes) != 0 || again.Unchanged != 1 {
		t.Fatalf("re-apply changed something: %+v", again.Changes)
	}
	moved := PlanChanges([]Desired{{Object: bare("p", "low"), Path: "p.yaml"}}, []objects.Object{high, low, stored}, PlanOptions{Source: "apps"})
	if len(moved.Changes) != 1 {
		t.Fatalf("class change: %+v", moved)
	}
	if got := *moved.Changes[0].Object.(*corev1.Pod).Spec.Priority; got != 1 {
		t.Errorf("priority after the class changed = %d, want 1", got)
	}
}
