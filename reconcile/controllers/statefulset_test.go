package controllers

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func statefulSet(name string, replicas int32, image string) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	objects.SetTypeMeta(s, "StatefulSet")
	s.Spec.Replicas = &replicas
	s.Spec.ServiceName = name
	s.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	s.Spec.Template.Labels = map[string]string{"app": name}
	s.Spec.Template.Spec.Containers = []corev1.Container{{Name: "db", Image: image,
		VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}}
	claim := corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"}}
	claim.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	claim.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}
	s.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{claim}
	return s
}

func (w *world) sts() *appsv1.StatefulSet { return listOf[*appsv1.StatefulSet](w, "StatefulSet")[0] }

// stepStateful runs one StatefulSet step and applies it; pods it created
// become Running (not Ready). It returns what the step did, as
// "+name" for a create and "-name" for a delete.
func (w *world) stepStateful() string {
	w.t.Helper()
	ch := ReconcileStatefulSet(w.sts(), w.pods(), w.now)
	w.apply(ch)
	var did []string
	for _, o := range ch.Create {
		did = append(did, "+"+o.GetName())
	}
	for _, o := range ch.Delete {
		did = append(did, "-"+o.GetName())
	}
	for _, p := range w.pods() {
		p.Status.Phase = corev1.PodRunning
	}
	return strings.Join(did, ",")
}

// runStateful steps, making every pod ready after each step, until the
// StatefulSet is quiet, and returns the sequence of actions.
func (w *world) runStateful() string {
	w.t.Helper()
	var trace []string
	for i := 0; i < 30; i++ {
		did := w.stepStateful()
		w.readyAll()
		if did == "" {
			if ch := ReconcileStatefulSet(w.sts(), w.pods(), w.now); len(ch.Create)+len(ch.Delete) == 0 {
				w.apply(ch)
				return strings.Join(trace, " ")
			}
			continue
		}
		trace = append(trace, did)
	}
	w.t.Fatalf("StatefulSet did not settle: %s", strings.Join(trace, " "))
	return ""
}

func (w *world) readyAll() {
	for _, p := range w.pods() {
		if !objects.PodReady(p) {
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(w.now)})
		}
	}
}

func TestStatefulSetOrderedReadyScaleUpAndDown(t *testing.T) {
	w := newWorld(t)
	w.create(statefulSet("db", 3, "img:v1"))
	// Nothing after db-0 until db-0 is ready.
	if did := w.stepStateful(); did != "+db-0" {
		t.Fatalf("first step %q, want +db-0", did)
	}
	if did := w.stepStateful(); did != "" {
		t.Fatalf("second step with db-0 not ready: %q, want nothing", did)
	}
	testkit.GoldenJSON(t, "testdata/statefulset-pod-0.golden", w.pods()[0])
	w.readyAll()
	if got := w.runStateful(); got != "+db-1 +db-2" {
		t.Fatalf("scale-up order %q", got)
	}
	st := w.sts().Status
	if st.Replicas != 3 || st.ReadyReplicas != 3 || st.AvailableReplicas != 3 || st.UpdatedReplicas != 3 || st.CurrentRevision != st.UpdateRevision {
		t.Errorf("status %+v", st)
	}
	n := int32(1)
	w.sts().Spec.Replicas = &n
	if got := w.runStateful(); got != "-db-2 -db-1" {
		t.Fatalf("scale-down order %q, want the highest ordinal first", got)
	}
}

func TestStatefulSetParallel(t *testing.T) {
	w := newWorld(t)
	s := statefulSet("db", 3, "img")
	s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	w.create(s)
	if did := w.stepStateful(); did != "+db-0,+db-1,+db-2" {
		t.Fatalf("parallel create %q", did)
	}
	n := int32(0)
	w.sts().Spec.Replicas = &n
	if did := w.stepStateful(); did != "-db-2,-db-1,-db-0" {
		t.Fatalf("parallel delete %q", did)
	}
}

func TestStatefulSetRollingUpdateInReverseOrder(t *testing.T) {
	w := newWorld(t)
	w.create(statefulSet("db", 3, "img:v1"))
	w.readyAll()
	w.runStateful()
	oldRev := w.sts().Status.CurrentRevision
	w.sts().Spec.Template.Spec.Containers[0].Image = "img:v2"
	w.sts().Generation++
	if got := w.runStateful(); got != "-db-2 +db-2 -db-1 +db-1 -db-0 +db-0" {
		t.Fatalf("rolling update %q, want highest ordinal first, one at a time", got)
	}
	st := w.sts().Status
	if st.CurrentRevision == oldRev || st.CurrentRevision != st.UpdateRevision || st.UpdatedReplicas != 3 {
		t.Errorf("status after update %+v", st)
	}
	for _, p := range w.pods() {
		if p.Spec.Containers[0].Image != "img:v2" {
			t.Errorf("%s runs %s", p.Name, p.Spec.Containers[0].Image)
		}
	}

	// A partition keeps the ordinals below it at the old revision.
	two := int32(2)
	w.sts().Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: &two}
	w.sts().Spec.Template.Spec.Containers[0].Image = "img:v3"
	if got := w.runStateful(); got != "-db-2 +db-2" {
		t.Fatalf("partitioned update %q, want only db-2", got)
	}
	if st := w.sts().Status; st.UpdatedReplicas != 1 || st.CurrentRevision == st.UpdateRevision {
		t.Errorf("partitioned status %+v", st)
	}
}

func TestStatefulSetWaitsForTerminatingPodName(t *testing.T) {
	w := newWorld(t)
	w.create(statefulSet("db", 1, "img"))
	w.readyAll()
	w.runStateful()
	p := w.pods()[0]
	ts := metav1.NewTime(w.now)
	p.DeletionTimestamp = &ts // deleted gracefully; the agent has not finished
	if did := w.stepStateful(); did != "" {
		t.Fatalf("step while db-0 terminates: %q, want nothing (the name is taken)", did)
	}
	delete(w.objs, objects.KeyOf(p))
	if did := w.stepStateful(); did != "+db-0" {
		t.Fatalf("step after db-0 is gone: %q", did)
	}
	if v := w.pods()[0].Spec.Volumes[0].PersistentVolumeClaim.ClaimName; v != "data-db-0" {
		t.Errorf("replacement uses claim %q, want data-db-0 (the same volume)", v)
	}
}

func TestStatefulSetReplacesFailedPod(t *testing.T) {
	w := newWorld(t)
	w.create(statefulSet("db", 2, "img"))
	w.readyAll()
	w.runStateful()
	w.pods()[0].Status.Phase = corev1.PodFailed
	if did := w.stepStateful(); did != "-db-0" {
		t.Fatalf("failed pod: %q, want it deleted", did)
	}
	if did := w.stepStateful(); did != "+db-0" {
		t.Fatalf("after delete: %q, want it recreated", did)
	}
}

func TestStatefulSetOrdinalParsing(t *testing.T) {
	s := statefulSet("db", 1, "img")
	for name, want := range map[string]int32{"db-0": 0, "db-12": 12, "db-01": -1, "db-x": -1, "dbx-1": -1, "db--1": -1} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}}
		got, ok := ordinalOf(s, p)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("ordinalOf(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestStatefulSetRollingUpdateMaxUnavailable(t *testing.T) {
	w := newWorld(t)
	s := statefulSet("db", 3, "img:v1")
	s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	two := intstr.FromInt32(2)
	s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{MaxUnavailable: &two}
	w.create(s)
	w.readyAll()
	w.runStateful()
	w.sts().Spec.Template.Spec.Containers[0].Image = "img:v2"
	if got := w.runStateful(); got != "-db-2,-db-1 +db-1,+db-2 -db-0 +db-0" {
		t.Fatalf("rolling update with maxUnavailable 2: %q", got)
	}
}
