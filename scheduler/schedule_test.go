package scheduler

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type nodeOpt func(*corev1.Node)

func node(name, cpu, mem string, pods int, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	n.Status.Allocatable = corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(mem),
		corev1.ResourcePods:   *resource.NewQuantity(int64(pods), resource.DecimalSI),
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func notReady(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionUnknown }
func cordoned(n *corev1.Node) { n.Spec.Unschedulable = true }
func labelled(k, v string) nodeOpt {
	return func(n *corev1.Node) { n.Labels = map[string]string{k: v} }
}
func tainted(k, v string) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: k, Value: v, Effect: corev1.TaintEffectNoSchedule})
	}
}

type podOpt func(*corev1.Pod)

// pod makes a pod with one container; cpu/mem "" means no request. Pods
// named later are created later, so placement order follows the name.
func pod(name, cpu, mem string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, CreationTimestamp: metav1.NewTime(t0)}}
	c := corev1.Container{Name: "c", Image: "img"}
	c.Resources.Requests = corev1.ResourceList{}
	if cpu != "" {
		c.Resources.Requests[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	p.Spec.Containers = []corev1.Container{c}
	for _, o := range opts {
		o(p)
	}
	return p
}

func on(node string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = node } }
func selects(k, v string) podOpt {
	return func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{k: v} }
}
func tolerating(k string) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: k, Operator: corev1.TolerationOpExists})
	}
}
func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func TestSchedule(t *testing.T) {
	tests := []struct {
		name     string
		pending  []*corev1.Pod
		nodes    []*corev1.Node
		bound    []*corev1.Pod
		bindings map[string]string
		messages map[string]string
	}{
		{
			name:     "one pod one node",
			pending:  []*corev1.Pod{pod("a", "100m", "64Mi")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10)},
			bindings: map[string]string{"default/a": "n1"},
		},
		{
			name:     "least allocated picks the emptier node",
			pending:  []*corev1.Pod{pod("a", "100m", "64Mi")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10), node("n2", "1", "1Gi", 10)},
			bound:    []*corev1.Pod{pod("x", "500m", "512Mi", on("n1"))},
			bindings: map[string]string{"default/a": "n2"},
		},
		{
			name:     "a tie goes to the first node name",
			pending:  []*corev1.Pod{pod("a", "100m", "64Mi")},
			nodes:    []*corev1.Node{node("n2", "1", "1Gi", 10), node("n1", "1", "1Gi", 10)},
			bindings: map[string]string{"default/a": "n1"},
		},
		{
			name:     "pods placed in one call spread over nodes",
			pending:  []*corev1.Pod{pod("a", "100m", "64Mi"), pod("b", "100m", "64Mi"), pod("c", "100m", "64Mi")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10), node("n2", "1", "1Gi", 10)},
			bindings: map[string]string{"default/a": "n1", "default/b": "n2", "default/c": "n1"},
		},
		{
			name:     "pods without requests still spread",
			pending:  []*corev1.Pod{pod("a", "", ""), pod("b", "", "")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10), node("n2", "1", "1Gi", 10)},
			bindings: map[string]string{"default/a": "n1", "default/b": "n2"},
		},
		{
			name:     "pods placed in one call account for each other",
			pending:  []*corev1.Pod{pod("a", "600m", "64Mi"), pod("b", "600m", "64Mi")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10)},
			bindings: map[string]string{"default/a": "n1"},
			messages: map[string]string{"default/b": "0/1 nodes are available: 1 Insufficient cpu."},
		},
		{
			name:    "the Kubernetes message counts nodes per reason",
			pending: []*corev1.Pod{pod("a", "2", "64Mi")},
			nodes: []*corev1.Node{
				node("n1", "1", "1Gi", 10), node("n2", "4", "1Gi", 10, notReady), node("n3", "4", "1Gi", 10, notReady),
			},
			messages: map[string]string{"default/a": "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were not ready."},
		},
		{
			name:     "memory and pod count",
			pending:  []*corev1.Pod{pod("a", "", "2Gi"), pod("b", "", "")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 1, func(n *corev1.Node) {})},
			bound:    []*corev1.Pod{pod("x", "", "", on("n1"))},
			messages: map[string]string{"default/a": "0/1 nodes are available: 1 Insufficient memory, 1 Too many pods.", "default/b": "0/1 nodes are available: 1 Too many pods."},
		},
		{
			name:     "terminal bound pods free their resources",
			pending:  []*corev1.Pod{pod("a", "1", "")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10)},
			bound:    []*corev1.Pod{pod("x", "1", "", on("n1"), phase(corev1.PodSucceeded))},
			bindings: map[string]string{"default/a": "n1"},
		},
		{
			name:     "nodeSelector",
			pending:  []*corev1.Pod{pod("a", "", "", selects("disk", "ssd"))},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10), node("n2", "1", "1Gi", 10, labelled("disk", "ssd"))},
			bindings: map[string]string{"default/a": "n2"},
		},
		{
			name:     "nodeSelector matching nothing",
			pending:  []*corev1.Pod{pod("a", "", "", selects("disk", "ssd"))},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10)},
			messages: map[string]string{"default/a": "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."},
		},
		{
			name:     "taints and tolerations",
			pending:  []*corev1.Pod{pod("a", "", ""), pod("b", "", "", tolerating("gpu"))},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10, tainted("gpu", "true"))},
			bindings: map[string]string{"default/b": "n1"},
			messages: map[string]string{"default/a": "0/1 nodes are available: 1 node(s) had untolerated taint {gpu: true}."},
		},
		{
			name:     "cordoned node",
			pending:  []*corev1.Pod{pod("a", "", "")},
			nodes:    []*corev1.Node{node("n1", "1", "1Gi", 10, cordoned)},
			messages: map[string]string{"default/a": "0/1 nodes are available: 1 node(s) were unschedulable."},
		},
		{
			name:     "no nodes",
			pending:  []*corev1.Pod{pod("a", "", "")},
			messages: map[string]string{"default/a": "no nodes available to schedule pods: no node has registered yet; start an agent (reconcile agent) on a host"},
		},
		{
			name:    "already bound and terminal pending pods are ignored",
			pending: []*corev1.Pod{pod("a", "", "", on("n1")), pod("b", "", "", phase(corev1.PodFailed))},
			nodes:   []*corev1.Node{node("n1", "1", "1Gi", 10)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Schedule(tt.pending, tt.nodes, tt.bound)
			want := tt.bindings
			if want == nil {
				want = map[string]string{}
			}
			if !reflect.DeepEqual(res.Bindings, want) {
				t.Errorf("bindings = %v, want %v", res.Bindings, want)
			}
			got := map[string]string{}
			for k, f := range res.Unschedulable {
				got[k] = f.Message
			}
			wantMsg := tt.messages
			if wantMsg == nil {
				wantMsg = map[string]string{}
			}
			if !reflect.DeepEqual(got, wantMsg) {
				t.Errorf("unschedulable = %q, want %q", got, wantMsg)
			}
		})
	}
}

func TestFailureNamesEveryNode(t *testing.T) {
	res := Schedule([]*corev1.Pod{pod("a", "2", "")},
		[]*corev1.Node{node("n1", "1", "1Gi", 10), node("n2", "4", "1Gi", 10, notReady)}, nil)
	want := map[string][]string{"n1": {"Insufficient cpu"}, "n2": {ReasonNotReady}}
	if got := res.Unschedulable["default/a"].NodeReasons; !reflect.DeepEqual(got, want) {
		t.Errorf("node reasons = %v, want %v", got, want)
	}
}

func TestPodRequests(t *testing.T) {
	p := pod("a", "250m", "64Mi")
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "limited", Resources: corev1.ResourceRequirements{
		Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")},
	}})
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
	}}}
	got := PodRequests(p)
	want := Resources{MilliCPU: 2000, Memory: 64<<20 + 1<<30, Pods: 1}
	if got != want {
		t.Errorf("PodRequests = %+v, want %+v", got, want)
	}
}

// BenchmarkScheduleSmall places 1,000 pending pods on 100 nodes that already run
// 1,000 pods, in one call.
func BenchmarkScheduleSmall(b *testing.B) {
	var nodes []*corev1.Node
	for i := 0; i < 100; i++ {
		n := node(fmt.Sprintf("node-%03d", i), "16", "64Gi", 110)
		if i%10 == 0 {
			n.Labels = map[string]string{"zone": "a"}
		}
		nodes = append(nodes, n)
	}
	var bound, pending []*corev1.Pod
	for i := 0; i < 1000; i++ {
		bound = append(bound, pod(fmt.Sprintf("bound-%04d", i), "100m", "128Mi", on(nodes[i%100].Name)))
		p := pod(fmt.Sprintf("pending-%04d", i), "250m", "256Mi")
		if i%20 == 0 {
			p.Spec.NodeSelector = map[string]string{"zone": "a"}
		}
		pending = append(pending, p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := Schedule(pending, nodes, bound)
		if len(res.Bindings) != 1000 {
			b.Fatalf("bound %d of 1000: %v", len(res.Bindings), res.Unschedulable)
		}
	}
}
