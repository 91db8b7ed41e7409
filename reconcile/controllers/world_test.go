package controllers

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// world is an in-memory stand-in for the store that applies Changes the
// way the runner does, so tests can run the pure steps to a fixpoint.
type world struct {
	t    *testing.T
	objs map[objects.Key]objects.Object
	uid  int
	rv   int
	now  time.Time
	seq  int
}

func newWorld(t *testing.T) *world {
	return &world{t: t, objs: map[objects.Key]objects.Object{}, now: t0}
}

func (w *world) suffix() string { w.seq++; return fmt.Sprintf("p%04d", w.seq) }

func (w *world) create(o objects.Object) {
	w.uid++
	w.rv++
	o.SetUID(types.UID(fmt.Sprintf("uid-%d", w.uid)))
	o.SetResourceVersion(strconv.Itoa(w.rv))
	o.SetGeneration(1)
	o.SetCreationTimestamp(metav1.NewTime(w.now.Add(time.Duration(w.uid) * time.Millisecond)))
	w.objs[objects.KeyOf(o)] = o
}

func (w *world) apply(ch Changes) {
	w.t.Helper()
	for _, o := range ch.Create {
		if _, ok := w.objs[objects.KeyOf(o)]; ok {
			w.t.Fatalf("create %s: exists", objects.KeyOf(o))
		}
		w.create(objects.Copy(o))
	}
	for _, o := range ch.Update {
		old := w.objs[objects.KeyOf(o)]
		if old == nil || old.GetResourceVersion() != o.GetResourceVersion() {
			w.t.Fatalf("update %s: conflict or missing", objects.KeyOf(o))
		}
		n := objects.Copy(o)
		w.rv++
		n.SetResourceVersion(strconv.Itoa(w.rv))
		n.SetGeneration(old.GetGeneration() + 1)
		copyStatusForTest(n, old)
		w.objs[objects.KeyOf(o)] = n
	}
	for _, o := range ch.UpdateStatus {
		old := w.objs[objects.KeyOf(o)]
		if old == nil {
			w.t.Fatalf("status %s: missing", objects.KeyOf(o))
		}
		n := objects.Copy(old)
		copyStatusForTest(n, o)
		w.rv++
		n.SetResourceVersion(strconv.Itoa(w.rv))
		w.objs[objects.KeyOf(o)] = n
	}
	for _, o := range ch.Delete {
		delete(w.objs, objects.KeyOf(o))
	}
}

func copyStatusForTest(dst, src objects.Object) {
	switch d := dst.(type) {
	case *appsv1.Deployment:
		d.Status = src.(*appsv1.Deployment).Status
	case *appsv1.ReplicaSet:
		d.Status = src.(*appsv1.ReplicaSet).Status
	case *corev1.Pod:
		d.Status = src.(*corev1.Pod).Status
	case *corev1.Node:
		d.Status = src.(*corev1.Node).Status
	default:
		// Every other kind (DaemonSet, StatefulSet, Job, ...) has a Status field too.
		reflect.ValueOf(dst).Elem().FieldByName("Status").Set(reflect.ValueOf(src).Elem().FieldByName("Status"))
	}
}

func listOf[T objects.Object](w *world, kind string) []T {
	var out []T
	for k, o := range w.objs {
		if k.Kind == kind {
			out = append(out, o.(T))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

func (w *world) deployments() []*appsv1.Deployment {
	return listOf[*appsv1.Deployment](w, "Deployment")
}
func (w *world) replicaSets() []*appsv1.ReplicaSet {
	return listOf[*appsv1.ReplicaSet](w, "ReplicaSet")
}
func (w *world) pods() []*corev1.Pod { return listOf[*corev1.Pod](w, "Pod") }

// settle runs the Deployment, ReplicaSet and GC steps until nothing
// changes, marking every pod Running and Ready (as agents would) between
// rounds.
func (w *world) settle() {
	w.t.Helper()
	for round := 0; round < 20; round++ {
		changed := false
		step := func(ch Changes) {
			if !ch.Empty() {
				changed = true
				w.apply(ch)
			}
		}
		for _, d := range w.deployments() {
			step(ReconcileDeployment(d, w.replicaSets(), w.now))
		}
		for _, rs := range w.replicaSets() {
			step(ReconcileReplicaSet(rs, w.pods(), w.suffix, w.now))
		}
		var all []objects.Object
		for _, o := range w.objs {
			all = append(all, o)
		}
		step(Changes{Delete: Orphans(all)})
		for _, p := range w.pods() {
			if p.Status.Phase != corev1.PodRunning {
				p.Status.Phase = corev1.PodRunning
				p.Spec.NodeName = "n1"
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(w.now)}}
				changed = true
			}
		}
		if !changed {
			return
		}
	}
	w.t.Fatal("did not settle in 20 rounds")
}

func deployment(name string, replicas int32, image string) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	objects.SetTypeMeta(d, "Deployment")
	d.Spec.Replicas = &replicas
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	d.Spec.Template.Labels = map[string]string{"app": name}
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: image}}
	return d
}
