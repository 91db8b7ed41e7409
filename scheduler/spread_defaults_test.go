package scheduler

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func app(v string) podOpt {
	return func(p *corev1.Pod) { p.Labels = map[string]string{"app": v} }
}

// TestSystemDefaultSpread: a pod without topologySpreadConstraints whose
// ReplicaSet already has three pods on the roomier node goes to the other
// one under Kubernetes' system default constraints (hostname maxSkew 3,
// zone maxSkew 5, nodes without a zone label still scored), and follows
// the free room without them; a pod no workload selects is not spread.
func TestSystemDefaultSpread(t *testing.T) {
	nodes := []*corev1.Node{
		node("node-a", "64", "256Gi", 110, labelled(corev1.LabelHostname, "node-a")),
		node("node-b", "8", "32Gi", 110, labelled(corev1.LabelHostname, "node-b")),
	}
	bound := []*corev1.Pod{
		pod("web-1", "100m", "128Mi", app("web"), on("node-a")),
		pod("web-2", "100m", "128Mi", app("web"), on("node-a")),
		pod("web-3", "100m", "128Mi", app("web"), on("node-a")),
		pod("other", "4", "16Gi", app("other"), on("node-b")),
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	for _, tc := range []struct {
		name     string
		defaults bool
		pending  *corev1.Pod
		want     string
	}{
		{"without the defaults the room decides", false, pod("web-4", "100m", "128Mi", app("web")), "node-a"},
		{"the defaults spread the ReplicaSet", true, pod("web-4", "100m", "128Mi", app("web")), "node-b"},
		{"a pod no workload selects is not spread", true, pod("lone", "100m", "128Mi", app("lone")), "node-a"},
		{"its own constraints replace the defaults", true, pod("web-4", "100m", "128Mi", app("web"), func(p *corev1.Pod) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 10, TopologyKey: corev1.LabelHostname,
				WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nothing"}}}}
		}), "node-a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			if tc.defaults {
				s.DefaultSpreadSelector = DefaultSpreadSelector(nil, []*appsv1.ReplicaSet{rs}, nil)
			}
			res := s.Schedule([]*corev1.Pod{tc.pending}, nodes, bound)
			if got := res.Bindings[PodKey(tc.pending)]; got != tc.want {
				t.Errorf("placed on %q, want %q (%v)", got, tc.want, res.Unschedulable)
			}
		})
	}
}

// TestDefaultSpreadSelector: Kubernetes' DefaultSelector is the
// conjunction of the selecting Services' selectors and the selecting
// ReplicaSets' and StatefulSets' selectors, in the pod's namespace only.
func TestDefaultSpreadSelector(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	elsewhere := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "web"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"tier": "x"}}}
	ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"},
		Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "role": "db"}}}}
	sel := DefaultSpreadSelector([]*corev1.Service{svc, elsewhere}, nil, []*appsv1.StatefulSet{ss})
	p := pod("db-0", "", "", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "web", "role": "db"} })
	got := sel(p)
	for _, tc := range []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"app": "web", "role": "db"}, true},
		{map[string]string{"app": "web"}, false},                           // the StatefulSet's role is required too
		{map[string]string{"app": "web", "role": "db", "tier": "y"}, true}, // another namespace's Service is not
	} {
		if m := got.Matches(labels.Set(tc.labels)); m != tc.want {
			t.Errorf("selector %q matches %v: %v, want %v", got, tc.labels, m, tc.want)
		}
	}
	if got := sel(pod("x", "", "", app("none"))); !got.Empty() {
		t.Errorf("a pod nothing selects: %q, want empty", got)
	}
}

// TestMatchingTellsNothingFromEverything: the memo of selector matches
// keys by the selector's text, and labels.Nothing() and Everything() both
// print as "".
func TestMatchingTellsNothingFromEverything(t *testing.T) {
	infos := newNodeInfos([]*corev1.Node{node("n", "1", "1Gi", 10)}, []*corev1.Pod{pod("a", "", "", app("web"), on("n"))})
	c := infos[0].cluster
	if got := len(c.matching("default", labels.Everything())); got != 1 {
		t.Errorf("Everything matched %d classes, want 1", got)
	}
	if got := len(c.matching("default", labels.Nothing())); got != 0 {
		t.Errorf("Nothing matched %d classes, want 0", got)
	}
}
