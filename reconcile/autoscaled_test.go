package reconcile

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func hpa(name, target string) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 10,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target}}}
	objects.SetTypeMeta(h, "HorizontalPodAutoscaler")
	return h
}

// TestPlanLeavesReplicasToTheAutoscaler: while a HorizontalPodAutoscaler
// targets a workload, the plan keeps the live spec.replicas and the diff
// says who owns it. testdata/autoscaled.golden is the spec.
func TestPlanLeavesReplicasToTheAutoscaler(t *testing.T) {
	mine := func(o objects.Object) objects.Object { return storedAs(o, "main", "apps/"+o.GetName()+".yaml") }
	scaled := mine(deploy("web", 5, "localhost/reconcile-hello:v1")) // the autoscaler set 5
	cases := []struct {
		name    string
		desired []Desired
		stored  []objects.Object
		opts    PlanOptions
	}{
		{"an image change in the same commit as the autoscaler: replicas stay 5",
			want(deploy("web", 1, "localhost/reconcile-hello:v2"), hpa("web", "web")),
			[]objects.Object{scaled}, PlanOptions{Source: "main", Prune: true}},
		{"the autoscaler already stored (another source): replicas stay 5, nothing to change",
			want(deploy("web", 1, "localhost/reconcile-hello:v1")),
			[]objects.Object{scaled, storedAs(hpa("web", "web"), "platform", "hpa.yaml")}, PlanOptions{Source: "main", Prune: true}},
		{"the commit removes this source's autoscaler: git's replicas apply again",
			want(deploy("web", 1, "localhost/reconcile-hello:v1")),
			[]objects.Object{scaled, mine(hpa("web", "web"))}, PlanOptions{Source: "main", Prune: true}},
		{"the autoscaler targets another workload: git's replicas apply",
			want(deploy("web", 1, "localhost/reconcile-hello:v1"), hpa("api", "api")),
			[]objects.Object{scaled}, PlanOptions{Source: "main", Prune: true}},
		{"a new workload starts at git's replicas",
			want(deploy("web", 2, "localhost/reconcile-hello:v1"), hpa("web", "web")),
			nil, PlanOptions{Source: "main", Prune: true}},
	}
	var b strings.Builder
	for _, tc := range cases {
		p := PlanChanges(tc.desired, tc.stored, tc.opts)
		fmt.Fprintf(&b, "=== %s\n--- text\n", tc.name)
		var out bytes.Buffer
		if err := RenderText(&out, p, false); err != nil {
			t.Fatal(err)
		}
		b.WriteString(out.String())
		out.Reset()
		if err := RenderMarkdown(&out, p); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "--- markdown\n%s", out.String())
		out.Reset()
		if err := RenderJSON(&out, Plan{Autoscaled: p.Autoscaled}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "--- json (autoscaled)\n%s\n", out.String())
	}
	testkit.GoldenString(t, filepath.Join("testdata", "autoscaled.golden"), b.String())
}
