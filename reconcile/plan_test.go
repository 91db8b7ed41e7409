package reconcile

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// summarise renders a plan as one comparable line per change.
func summarise(p Plan) string {
	var b strings.Builder
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "%s %s", c.Action, c.Key)
		for _, f := range c.Fields {
			fmt.Fprintf(&b, " [%s: %s→%s]", f.Path, orEmpty(f.Old), orEmpty(f.New))
		}
		b.WriteString("; ")
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "error %s; ", e.Error())
	}
	fmt.Fprintf(&b, "unchanged %d", p.Unchanged)
	return b.String()
}

type planCase struct {
	name    string
	desired []Desired
	stored  []objects.Object
	opts    PlanOptions
	want    string
}

// planCases are the planner's table: fresh objects on every call.
func planCases() []planCase {
	mine := func(o objects.Object) objects.Object { return storedAs(o, "main", "apps/"+o.GetName()+".yaml") }
	controlled := func() objects.Object {
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-abc",
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "web", Controller: ptr.To(true)}}}}
		objects.SetTypeMeta(rs, "ReplicaSet")
		return rs
	}
	withAnn := func(o objects.Object, k, v string) objects.Object {
		a := map[string]string{}
		for x, y := range o.GetAnnotations() {
			a[x] = y
		}
		a[k] = v
		o.SetAnnotations(a)
		return o
	}
	pod := func(node string) objects.Object {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p"}, Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
		objects.SetTypeMeta(p, "Pod")
		return p
	}
	return []planCase{
		{"create in apply order", want(deploy("web", 2, "img:v1"), cm("cfg", nil), ns("apps")), nil, PlanOptions{Source: "main"},
			"create Namespace/apps; create ConfigMap/default/cfg; create Deployment/default/web; unchanged 0"},
		{"unchanged: other commit, system annotation, status", want(deploy("web", 2, "img:v1")),
			[]objects.Object{withAnn(withAnn(mine(deploy("web", 2, "img:v1")), objects.AnnotationCommit, "old"), "deployment.kubernetes.io/revision", "3")},
			PlanOptions{Source: "main", Commit: "new"}, "unchanged 1"},
		{"replicas and image", want(deploy("web", 3, "img:v2")), []objects.Object{mine(deploy("web", 2, "img:v1"))}, PlanOptions{Source: "main"},
			"update Deployment/default/web [spec.replicas: 2→3] [spec.template.spec.containers[web].image: \"img:v1\"→\"img:v2\"]; unchanged 0"},
		{"label and annotation", want(withAnn(deploy("web", 2, "i"), "team", "a")), []objects.Object{mine(deploy("web", 2, "i"))}, PlanOptions{Source: "main"},
			"update Deployment/default/web [metadata.annotations.team: →\"a\"]; unchanged 0"},
		{"dropped annotation", want(deploy("web", 2, "i")), []objects.Object{withAnn(mine(deploy("web", 2, "i")), "team", "a")}, PlanOptions{Source: "main"},
			"update Deployment/default/web [metadata.annotations.team: \"a\"→]; unchanged 0"},
		{"moved file", []Desired{{Object: cm("cfg", nil), Path: "new.yaml"}}, []objects.Object{mine(cm("cfg", nil))}, PlanOptions{Source: "main"},
			"update ConfigMap/default/cfg [metadata.annotations[\"reconcile.dev/source-path\"]: \"apps/cfg.yaml\"→\"new.yaml\"]; unchanged 0"},
		{"prune only mine, deletes last in reverse order", want(cm("keep", nil)),
			[]objects.Object{mine(cm("keep", nil)), mine(ns("gone")), mine(deploy("gone", 1, "i")), storedAs(cm("theirs", nil), "other", "x.yaml"), cm("manual", nil), controlled()},
			PlanOptions{Source: "main", Prune: true}, "delete Deployment/default/gone; delete Namespace/gone; unchanged 1"},
		{"a terminating object is not pruned again", nil,
			[]objects.Object{terminating(mine(pod("node-1"))), mine(cm("gone", nil))},
			PlanOptions{Source: "main", Prune: true, AllowEmpty: true}, "delete ConfigMap/default/gone; unchanged 0"},
		{"no prune without Prune", want(cm("keep", nil)), []objects.Object{mine(cm("keep", nil)), mine(cm("gone", nil))}, PlanOptions{Source: "main"}, "unchanged 1"},
		{"empty commit prunes nothing", nil, []objects.Object{mine(cm("a", nil))}, PlanOptions{Source: "main", Prune: true}, "unchanged 0"},
		{"empty commit prunes when allowed", nil, []objects.Object{mine(cm("a", nil))}, PlanOptions{Source: "main", Prune: true, AllowEmpty: true}, "delete ConfigMap/default/a; unchanged 0"},
		{"owned by another source", want(cm("cfg", nil)), []objects.Object{storedAs(cm("cfg", nil), "other", "x.yaml")}, PlanOptions{Source: "main"},
			"error apps/cfg.yaml: ConfigMap/default/cfg: is managed by source \"other\"; remove it from one of the two sources; unchanged 0"},
		{"created by a controller", []Desired{{Object: controlled(), Path: "rs.yaml"}}, []objects.Object{controlled()}, PlanOptions{Source: "main"},
			"error rs.yaml: ReplicaSet/default/web-abc: was created by Deployment web (a controller); give the manifest another name; unchanged 0"},
		{"adopt an unowned object", want(cm("cfg", nil)), []objects.Object{cm("cfg", nil)}, PlanOptions{Source: "main"},
			"update ConfigMap/default/cfg [metadata.annotations[\"reconcile.dev/source\"]: →\"main\"] [metadata.annotations[\"reconcile.dev/source-path\"]: →\"apps/cfg.yaml\"]; unchanged 0"},
		{"scheduled pod keeps its node", want(pod("")), []objects.Object{mine(pod("node-1"))}, PlanOptions{Source: "main"}, "unchanged 1"},
		{"duplicate desired", append(want(cm("a", nil)), want(cm("a", nil))...), nil, PlanOptions{Source: "main"},
			"create ConfigMap/default/a; error apps/a.yaml: ConfigMap/default/a: defined twice (also in apps/a.yaml): keep one; unchanged 0"},
		{"secret values masked", want(secret("s", map[string]string{"pw": "new"})), []objects.Object{mine(secret("s", map[string]string{"pw": "old"}))}, PlanOptions{Source: "main"},
			"update Secret/default/s [data.pw: (value hidden)→(value hidden, changed)]; unchanged 0"},
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range planCases() {
		t.Run(tc.name, func(t *testing.T) {
			if got := summarise(PlanChanges(tc.desired, tc.stored, tc.opts)); got != tc.want {
				t.Errorf("\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func terminating(o objects.Object) objects.Object {
	ts := metav1.Unix(1700000000, 0)
	o.SetDeletionTimestamp(&ts)
	return o
}

func TestPlanIsPure(t *testing.T) {
	d := deploy("web", 3, "i")
	s := storedAs(deploy("web", 2, "i"), "main", "apps/web.yaml")
	before := fmt.Sprint(d, s)
	p := PlanChanges(want(d), []objects.Object{s}, PlanOptions{Source: "main", Commit: "c1"})
	if fmt.Sprint(d, s) != before {
		t.Error("PlanChanges modified its inputs")
	}
	got := p.Changes[0].Object
	if got.GetAnnotations()[objects.AnnotationCommit] != "c1" || got.GetAnnotations()[objects.AnnotationSource] != "main" {
		t.Errorf("written object not stamped: %v", got.GetAnnotations())
	}
}

func TestPlanWarnsWhenNotPruning(t *testing.T) {
	p := PlanChanges(nil, []objects.Object{storedAs(cm("a", nil), "main", "a.yaml")}, PlanOptions{Source: "main", Prune: true})
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "nothing pruned") {
		t.Errorf("warnings = %q", p.Warnings)
	}
}

func orEmpty(v any) string {
	if v == nil {
		return ""
	}
	return value(v)
}
