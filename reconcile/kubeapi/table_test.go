package kubeapi

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/tables"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func pod(ns, name, node string, phase corev1.PodPhase, labels map[string]string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, UID: types.UID("uid-" + name), ResourceVersion: "7"}}
	objects.SetTypeMeta(p, "Pod")
	p.Spec.NodeName = node
	p.Spec.Containers = []corev1.Container{{Name: "hello", Image: "hello:v1"}}
	p.Status.Phase = phase
	if phase == corev1.PodRunning {
		p.Status.PodIP = "10.244.0.5"
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "hello", Ready: true, RestartCount: 2, ContainerID: "podman://0123456789abcdef0123"}}
	}
	return p
}

// TestTable: the Table `kubectl get` asks for, with the CLI's columns
// (reconcile/tables): the -o wide ones at priority 1; an empty list still
// has its kind's columns; rows carry the object's metadata by default.
func TestTable(t *testing.T) {
	three := int32(3)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo", Generation: 1}}
	objects.SetTypeMeta(d, "Deployment")
	d.Spec.Replicas = &three
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "hello", Image: "hello:v1"}}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	objects.SetTypeMeta(n, "Node")
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	got := map[string]any{
		"pods":               ToTable(tables.Row, "Pod", "", []objects.Object{pod("demo", "web-1", "n1", corev1.PodRunning, nil), pod("demo", "web-2", "", corev1.PodPending, nil)}, IncludeMetadata),
		"deployments":        ToTable(tables.Row, "Deployment", "apps", []objects.Object{d}, IncludeNone),
		"nodes":              ToTable(tables.Row, "Node", "", []objects.Object{n}, IncludeNone),
		"empty statefulsets": ToTable(tables.Row, "StatefulSet", "apps", nil, IncludeMetadata),
	}
	testkit.GoldenJSON(t, "testdata/table.golden", got)
}

func TestWantsTable(t *testing.T) {
	for accept, want := range map[string]bool{
		"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json": true,
		"application/json; as=Table; v=v1beta1; g=meta.k8s.io":                                                            true,
		"application/json": false,
		"application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io": false,
		"": false,
	} {
		if got := WantsTable(accept); got != want {
			t.Errorf("WantsTable(%q) = %v", accept, got)
		}
	}
}

// TestSelectorsAndPages: label and field selectors over stored objects,
// and pages of a limited list chained by continue tokens.
func TestSelectorsAndPages(t *testing.T) {
	items := []objects.Object{
		pod("b", "z", "n1", corev1.PodRunning, map[string]string{"app": "web", "tier": "front"}),
		pod("a", "y", "n2", corev1.PodPending, map[string]string{"app": "web"}),
		pod("a", "x", "n1", corev1.PodSucceeded, map[string]string{"app": "db"}),
		pod("ab", "w", "n1", corev1.PodRunning, nil),
	}
	cases := []struct{ query, want string }{
		{"", "a/x a/y ab/w b/z"},
		{"labelSelector=app%3Dweb", "a/y b/z"},
		{"labelSelector=app,tier!%3Dfront", "a/x a/y"},
		{"labelSelector=app+in+(db,web),!tier", "a/x a/y"},
		{"fieldSelector=spec.nodeName%3Dn1", "a/x ab/w b/z"},
		{"fieldSelector=spec.nodeName%3Dn1,status.phase!%3DRunning", "a/x"},
		{"fieldSelector=metadata.namespace%3Da", "a/x a/y"},
		{"fieldSelector=metadata.name%3Dw", "ab/w"},
		{"labelSelector=app%3Dweb&fieldSelector=status.phase%3DRunning", "b/z"},
		{"limit=3", "a/x a/y ab/w | more"},
		{"limit=2&labelSelector=app", "a/x a/y | more"},
		{"limit=3&labelSelector=app", "a/x a/y b/z"},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		o, err := ParseListOptions(q, "Pod")
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		page, next, _ := o.Page(append([]objects.Object(nil), items...), 42)
		got := keys(page)
		if next != "" {
			got += " | more"
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.query, got, c.want)
		}
	}

	// Walking the pages of one by one visits everything once, every page
	// answering the first page's resourceVersion.
	var seen []string
	q := url.Values{"limit": {"1"}, "labelSelector": {"app"}}
	for i := 0; ; i++ {
		o, err := ParseListOptions(q, "Pod")
		if err != nil {
			t.Fatal(err)
		}
		page, next, rv := o.Page(append([]objects.Object(nil), items...), uint64(42+i))
		if rv != 42 {
			t.Errorf("page %d answers resourceVersion %d, want the first page's 42", i, rv)
		}
		seen = append(seen, keys(page))
		if next == "" {
			break
		}
		q.Set("continue", next)
	}
	if got := strings.Join(seen, ","); got != "a/x,a/y,b/z" {
		t.Errorf("pages %q", got)
	}
}

func keys(items []objects.Object) string {
	var out []string
	for _, o := range items {
		out = append(out, o.GetNamespace()+"/"+o.GetName())
	}
	return strings.Join(out, " ")
}

func TestWriteRefused(t *testing.T) {
	var b strings.Builder
	for _, c := range []struct {
		verb, res, ns, name string
		loc                 *Location
		sources             []string
	}{
		{"patch", "deployments.apps", "demo", "web", &Location{Source: "main", Path: "apps/web.yaml", Commit: "0123456789abcdef0123", Line: 12}, []string{"main"}},
		{"delete", "configmaps", "demo", "cfg", &Location{Source: "main", Path: "apps/cfg.yaml", Commit: "0123456789abcdef0123"}, []string{"main"}},
		{"scale", "replicasets.apps", "demo", "web-5d8f", &Location{Owner: "Deployment demo/web"}, []string{"main"}},
		{"delete", "nodes", "", "n1", &Location{}, []string{"main"}},
		{"create", "pods", "demo", "", nil, []string{"main"}},
		{"create", "namespaces", "", "", nil, []string{"apps", "infra"}},
		{"create", "namespaces", "", "", nil, nil},
	} {
		err := WriteRefused(c.verb, c.res, c.ns, c.name, c.loc, c.sources)
		fmt.Fprintf(&b, "%s %d\n  %s\n", err.Reason, err.Reason.Code(), err.Message)
	}
	testkit.GoldenString(t, "testdata/writes.golden", b.String())
}
