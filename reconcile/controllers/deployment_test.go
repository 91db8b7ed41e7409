package controllers

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestPodTemplateHashIsStableAndShort(t *testing.T) {
	a := deployment("web", 2, "img:v1")
	b := deployment("web", 5, "img:v1")
	c := deployment("web", 2, "img:v2")
	ha, hb, hc := PodTemplateHash(&a.Spec.Template, nil), PodTemplateHash(&b.Spec.Template, nil), PodTemplateHash(&c.Spec.Template, nil)
	if ha != hb {
		t.Errorf("replicas changed the hash: %s vs %s", ha, hb)
	}
	if ha == hc {
		t.Errorf("image change kept the hash %s", ha)
	}
	if len(ha) > 10 || len(ha) == 0 {
		t.Errorf("hash %q: want 1..10 chars", ha)
	}
	one := int32(1)
	if PodTemplateHash(&a.Spec.Template, &one) == ha {
		t.Error("collision count did not change the hash")
	}
	testkit.GoldenJSON(t, "testdata/pod-template-hash.golden", map[string]string{"img:v1": ha, "img:v2": hc})
}

func TestDeploymentCreatesReplicaSet(t *testing.T) {
	w := newWorld(t)
	d := deployment("web", 2, "img:v1")
	w.create(d)
	ch := ReconcileDeployment(d, nil, t0)
	if len(ch.Create) != 1 {
		t.Fatalf("created %d objects, want 1 ReplicaSet", len(ch.Create))
	}
	testkit.GoldenJSON(t, "testdata/deployment-new-replicaset.golden", ch.Create[0])
	testkit.GoldenJSON(t, "testdata/deployment-new-status.golden", ch.UpdateStatus[0].(*appsv1.Deployment).Status)
}

func TestDeploymentLifecycle(t *testing.T) {
	w := newWorld(t)
	d := deployment("web", 2, "img:v1")
	w.create(d)
	w.settle()
	assertCounts(t, w, 1, 2)
	rs1 := w.replicaSets()[0]
	if rs1.Name != "web-"+PodTemplateHash(&d.Spec.Template, nil) {
		t.Errorf("ReplicaSet name %q", rs1.Name)
	}
	for _, p := range w.pods() {
		if !ownedBy(p, rs1) || p.Labels[objects.LabelPodTemplateHash] == "" {
			t.Errorf("pod %s: owners %v labels %v", p.Name, p.OwnerReferences, p.Labels)
		}
	}
	st := w.deployments()[0].Status
	if st.Replicas != 2 || st.ReadyReplicas != 2 || st.AvailableReplicas != 2 || st.UpdatedReplicas != 2 || st.ObservedGeneration != 1 {
		t.Errorf("status %+v", st)
	}

	// Scale up, then down.
	scale(w, 3)
	assertCounts(t, w, 1, 3)
	scale(w, 1)
	assertCounts(t, w, 1, 1)

	// A template change replaces every pod; the old ReplicaSet stays at 0.
	d = w.deployments()[0]
	d.Spec.Template.Spec.Containers[0].Image = "img:v2"
	d.Generation++
	w.settle()
	if rses := w.replicaSets(); len(rses) != 2 {
		t.Fatalf("%d ReplicaSets, want 2", len(rses))
	}
	for _, rs := range w.replicaSets() {
		want := int32(0)
		if rs.Spec.Template.Spec.Containers[0].Image == "img:v2" {
			want = 1
			if rs.Annotations[AnnotationRevision] != "2" {
				t.Errorf("new ReplicaSet revision %q, want 2", rs.Annotations[AnnotationRevision])
			}
		}
		if *rs.Spec.Replicas != want {
			t.Errorf("%s replicas %d, want %d", rs.Name, *rs.Spec.Replicas, want)
		}
	}
	for _, p := range w.pods() {
		if p.Spec.Containers[0].Image != "img:v2" {
			t.Errorf("pod %s still runs %s", p.Name, p.Spec.Containers[0].Image)
		}
	}

	// Back to v1: the first ReplicaSet is reused and becomes revision 3.
	d = w.deployments()[0]
	d.Spec.Template.Spec.Containers[0].Image = "img:v1"
	w.settle()
	if got := w.replicaSets(); len(got) != 2 || got[0].Name != rs1.Name && got[1].Name != rs1.Name {
		t.Fatalf("ReplicaSets %v, want the first one reused", names(got))
	}
	for _, rs := range w.replicaSets() {
		if rs.Name == rs1.Name && (rs.Annotations[AnnotationRevision] != "3" || *rs.Spec.Replicas != 1) {
			t.Errorf("reused ReplicaSet: revision %q replicas %d", rs.Annotations[AnnotationRevision], *rs.Spec.Replicas)
		}
	}

	// Deleting the Deployment cascades.
	delete(w.objs, objects.KeyOf(d))
	w.settle()
	assertCounts(t, w, 0, 0)
}

func TestRevisionHistoryLimit(t *testing.T) {
	w := newWorld(t)
	d := deployment("web", 1, "img:0")
	limit := int32(2)
	d.Spec.RevisionHistoryLimit = &limit
	w.create(d)
	for _, img := range []string{"img:1", "img:2", "img:3", "img:4"} {
		w.settle()
		w.deployments()[0].Spec.Template.Spec.Containers[0].Image = img
	}
	w.settle()
	var revs []string
	for _, rs := range w.replicaSets() {
		revs = append(revs, rs.Annotations[AnnotationRevision]+":"+rs.Spec.Template.Spec.Containers[0].Image)
	}
	testkit.GoldenJSON(t, "testdata/revision-history.golden", revs)
	if len(revs) != 3 {
		t.Errorf("kept %d ReplicaSets, want the current one and 2 old", len(revs))
	}
}

func TestDeploymentSelectorMismatch(t *testing.T) {
	d := deployment("web", 1, "img")
	d.Spec.Selector.MatchLabels = map[string]string{"app": "other"}
	ch := ReconcileDeployment(d, nil, t0)
	if len(ch.Create) != 0 || len(ch.UpdateStatus) != 1 {
		t.Fatalf("changes %+v", ch)
	}
	c := ch.UpdateStatus[0].(*appsv1.Deployment).Status.Conditions
	if len(c) != 1 || c[0].Reason != "InvalidSelector" {
		t.Fatalf("conditions %+v", c)
	}
	testkit.GoldenJSON(t, "testdata/deployment-invalid-selector.golden", c[0].Message)
}

func TestDeploymentAdoptsOrphanReplicaSet(t *testing.T) {
	w := newWorld(t)
	d := deployment("web", 1, "img")
	w.create(d)
	orphan := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-old", Labels: map[string]string{"app": "web"}}}
	objects.SetTypeMeta(orphan, "ReplicaSet")
	orphan.Spec.Selector = d.Spec.Selector.DeepCopy()
	orphan.Spec.Template = *d.Spec.Template.DeepCopy()
	w.create(orphan)
	ch := ReconcileDeployment(d, w.replicaSets(), t0)
	if len(ch.Create) != 0 || len(ch.Update) != 1 || !ownedBy(ch.Update[0], d) {
		t.Fatalf("want the orphan adopted as the current ReplicaSet, got %+v", ch)
	}
}

func TestSteadyStateWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.create(deployment("web", 2, "img"))
	w.settle()
	w.now = w.now.Add(52 * time.Second)
	if ch := ReconcileDeployment(w.deployments()[0], w.replicaSets(), w.now); !ch.Empty() {
		t.Errorf("deployment step wrote %+v", ch)
	}
	if ch := ReconcileReplicaSet(w.replicaSets()[0], w.pods(), w.suffix, w.now); !ch.Empty() {
		t.Errorf("replicaset step wrote %+v", ch)
	}
}

func scale(w *world, n int32) {
	d := w.deployments()[0]
	d.Spec.Replicas = &n
	d.Generation++
	w.settle()
}

func assertCounts(t *testing.T, w *world, rses, pods int) {
	t.Helper()
	var active []*appsv1.ReplicaSet
	for _, rs := range w.replicaSets() {
		if *rs.Spec.Replicas > 0 {
			active = append(active, rs)
		}
	}
	if len(active) != rses || len(w.pods()) != pods {
		t.Fatalf("%d scaled-up ReplicaSets and %d pods, want %d and %d", len(active), len(w.pods()), rses, pods)
	}
	for _, p := range w.pods() {
		if p.Spec.Containers[0].Name != "web" || p.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s: %+v", p.Name, p.Spec)
		}
	}
}

func names[T objects.Object](os []T) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.GetName())
	}
	return out
}
