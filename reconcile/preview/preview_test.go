package preview

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func node(name, cpu string, labels map[string]string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Status.Allocatable = corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse("4Gi"),
		corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

func workload(kind, name, replicas, cpu string) string {
	head := "apiVersion: apps/v1\nkind: " + kind + "\nmetadata: {name: " + name + ", namespace: default}\nspec:\n"
	if kind != "DaemonSet" {
		head += "  replicas: " + replicas + "\n"
	}
	if kind == "StatefulSet" {
		head += "  serviceName: " + name + "\n"
	}
	return head + `  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers:
        - name: c
          image: localhost/x:v1
          resources: {requests: {cpu: ` + cpu + `}}
`
}

func validate(t *testing.T, files map[string]string) []reconcile.Desired {
	t.Helper()
	v, err := schema.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var fs []schema.File
	for p, d := range files {
		fs = append(fs, schema.File{Path: p, Data: []byte(d)})
	}
	res := v.Validate(fs)
	if !res.OK() {
		t.Fatal(res)
	}
	var out []reconcile.Desired
	for _, m := range res.Manifests {
		out = append(out, reconcile.Desired{Object: m.Object, Path: m.Path})
	}
	return out
}

func TestPreview(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	nodes := []*corev1.Node{node("node-a", "2", map[string]string{"disk": "ssd"}), node("node-b", "1", nil)}
	// A pod already bound to node-a takes 1 CPU of it.
	busy := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "busy", Namespace: "default"}, Spec: corev1.PodSpec{NodeName: "node-a",
		Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}}}
	stored := reconcile.Stamp(validate(t, map[string]string{"grow.yaml": workload("Deployment", "grow", "1", "100m")}), "git")
	desired := validate(t, map[string]string{
		"web.yaml":   workload("Deployment", "web", "3", "200m"),
		"huge.yaml":  workload("Deployment", "huge", "2", "1500m"),
		"grow.yaml":  workload("Deployment", "grow", "3", "100m"),
		"db.yaml":    workload("StatefulSet", "db", "2", "100m"),
		"agent.yaml": workload("DaemonSet", "agent", "", "50m"),
		"pod.yaml":   "apiVersion: v1\nkind: Pod\nmetadata: {name: picky}\nspec:\n  nodeSelector: {disk: nvme}\n  containers: [{name: c, image: localhost/x:v1}]\n",
	})
	plan := reconcile.PlanChanges(desired, stored, reconcile.PlanOptions{Source: "git", Prune: true})
	ws := Plan(plan, nodes, []*corev1.Pod{busy}, now)
	var b strings.Builder
	RenderText(&b, ws)
	b.WriteString("\n")
	RenderMarkdown(&b, ws)
	testkit.GoldenString(t, "testdata/preview.golden", b.String())
	// The invariants the golden file shows, stated: the grown Deployment
	// previews only its 2 added pods, the too-large one places none.
	for _, w := range ws {
		switch w.Key {
		case objects.Key{Kind: "Deployment", Namespace: "default", Name: "grow"}:
			if w.Pods != 2 {
				t.Errorf("grow: %d new pods, want 2", w.Pods)
			}
		case objects.Key{Kind: "Deployment", Namespace: "default", Name: "huge"}:
			if len(w.Nodes) != 0 || len(w.Unschedulable) == 0 {
				t.Errorf("huge: %+v", w)
			}
		}
	}
}
