package schedbench

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Shape is the size of the benchmark cluster.
type Shape struct {
	Nodes, Zones     int
	Bound, Pending   int
	ReplicasPerApp   int // pods per app (one Deployment's worth)
	ConstrainedEvery int // every n-th pending app has anti-affinity or spread
}

// Target is the shape.
var Target = Shape{Nodes: 1000, Zones: 10, Bound: 30000, Pending: 10000, ReplicasPerApp: 100, ConstrainedEvery: 3}

// Cluster returns the nodes, the bound pods and the pending pods. Pending
// apps cycle, with ConstrainedEvery 3, through: required pod anti-affinity
// per host, a zone spread (DoNotSchedule, maxSkew 1), then four apps
// without constraints: a third of the pending pods are constrained.
func Cluster(s Shape) (nodes []*corev1.Node, bound, pending []*corev1.Pod) {
	for i := range s.Nodes {
		name := fmt.Sprintf("node-%04d", i)
		n := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{
			corev1.LabelHostname:     name,
			corev1.LabelTopologyZone: fmt.Sprintf("zone-%d", i%s.Zones),
		}}}
		n.Status.Allocatable = corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("64"),
			corev1.ResourceMemory: resource.MustParse("256Gi"),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
		n.Status.Capacity = n.Status.Allocatable.DeepCopy()
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		n.Status.Images = []corev1.ContainerImage{{Names: []string{fmt.Sprintf("localhost/app-%d:v1", i%50)}, SizeBytes: 200 << 20}}
		nodes = append(nodes, n)
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range s.Bound {
		app := i / s.ReplicasPerApp
		p := pod(fmt.Sprintf("run-%d-%d", app, i%s.ReplicasPerApp), fmt.Sprintf("run-%d", app), app, t0)
		p.Spec.NodeName = nodes[i%len(nodes)].Name
		bound = append(bound, p)
	}
	for i := range s.Pending {
		app := i / s.ReplicasPerApp
		name := fmt.Sprintf("new-%d", app)
		p := pod(fmt.Sprintf("%s-%d", name, i%s.ReplicasPerApp), name, app, t0.Add(time.Duration(i)*time.Millisecond))
		sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
		switch app % (2 * s.ConstrainedEvery) {
		case 0:
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{LabelSelector: sel, TopologyKey: corev1.LabelHostname}},
			}}
		case 1:
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
				MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: sel,
			}}
		}
		pending = append(pending, p)
	}
	return nodes, bound, pending
}

// pod makes a pod of app; its image is one of the 50 the nodes have
// (each on 20 nodes), so ImageLocality has something to score.
func pod(name, app string, appIndex int, created time.Time) *corev1.Pod {
	p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{
		Namespace: "default", Name: name, UID: types.UID("uid-" + name),
		Labels:            map[string]string{"app": app, "pod-template-hash": "abc123"},
		CreationTimestamp: metav1.NewTime(created),
	}}
	p.Spec.Containers = []corev1.Container{{Name: "app", Image: fmt.Sprintf("localhost/app-%d:v1", appIndex%50), Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("100m"),
		corev1.ResourceMemory: resource.MustParse("128Mi"),
	}}}}
	return p
}

// ReplicaSets are the workloads of the pods, one per app label, as the
// controllers would have made them: what gives the pods without
// constraints of their own Kubernetes' system default spread.
func ReplicaSets(pods ...[]*corev1.Pod) []*appsv1.ReplicaSet {
	seen := map[string]bool{}
	var out []*appsv1.ReplicaSet
	for _, list := range pods {
		for _, p := range list {
			app := p.Labels["app"]
			if seen[app] {
				continue
			}
			seen[app] = true
			out = append(out, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: app},
				Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}})
		}
	}
	return out
}
