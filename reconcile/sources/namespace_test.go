package sources

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func cm(name, ns string) objects.Object {
	o := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	objects.SetTypeMeta(o, "ConfigMap")
	return o
}

// Moved copies keep their identity across commits (the planner's memo
// relies on it), the validator's originals are never changed, and objects
// naming another namespace stay where they are.
func TestMovedObjectsReuseCopies(t *testing.T) {
	a, b := cm("a", "default"), cm("b", "other")
	var m movedObjects
	first := m.apply([]reconcile.Desired{{Object: a}, {Object: b}}, "team")
	if first[0].Object.GetNamespace() != "team" || a.GetNamespace() != "default" {
		t.Fatalf("moved %q, original now %q", first[0].Object.GetNamespace(), a.GetNamespace())
	}
	if first[1].Object != b {
		t.Fatal("an object naming its own namespace was copied")
	}
	second := m.apply([]reconcile.Desired{{Object: a}, {Object: b}}, "team")
	if second[0].Object != first[0].Object {
		t.Fatal("an unchanged object got a new copy: the planner's memo cannot recognise it")
	}
	a2 := cm("a", "default")
	third := m.apply([]reconcile.Desired{{Object: a2}}, "team")
	if third[0].Object == first[0].Object || third[0].Object.GetNamespace() != "team" {
		t.Fatal("a changed object must be moved afresh")
	}
}
