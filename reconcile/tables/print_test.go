package tables

import (
	"bytes"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestPrintKinds: `get all` as kubectl prints it (kind/name, a table per
// kind, empty kinds left out), and the rows `get -w` adds.
func TestPrintKinds(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "demo"}}
	objects.SetTypeMeta(p, "Pod")
	p.Spec.Containers = []corev1.Container{{Name: "c"}}
	p.Status.Phase = corev1.PodRunning
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo"}}
	objects.SetTypeMeta(d, "Deployment")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}
	objects.SetTypeMeta(ns, "Namespace")
	var b bytes.Buffer
	wrote, err := PrintKinds(&b, [][]objects.Object{{p}, nil, {d}}, false, true)
	if err != nil || !wrote {
		t.Fatal(wrote, err)
	}
	b.WriteString("-- rows of get -w\n")
	PrintRow(&b, p, false, true)
	PrintRow(&b, ns, false, false)
	wrote, _ = PrintKinds(&b, [][]objects.Object{nil}, false, false)
	if wrote {
		t.Error("nothing to print, but PrintKinds wrote")
	}
	testkit.GoldenString(t, "testdata/print.golden", b.String())
}
