package webui

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func meta(name, source string, owner objects.Object) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID("uid-" + name), Generation: 1}
	if source != "" {
		m.Annotations = map[string]string{objects.AnnotationSource: source, objects.AnnotationSourcePath: name + ".yaml", objects.AnnotationCommit: "c0ffee"}
	}
	if owner != nil {
		yes := true
		m.OwnerReferences = []metav1.OwnerReference{{Kind: objects.KindOf(owner), Name: owner.GetName(), UID: owner.GetUID(), Controller: &yes}}
	}
	return m
}

// typed sets the kind, and a uid unique per kind and name.
func typed[T objects.Object](o T, kind string) T {
	objects.SetTypeMeta(o, kind)
	o.SetUID(types.UID(kind + "/" + o.GetName()))
	return o
}

func pod(name string, owner objects.Object, phase corev1.PodPhase, ready bool) *corev1.Pod {
	p := typed(&corev1.Pod{ObjectMeta: meta(name, "", owner), Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c"}}}}, "Pod")
	p.Status.Phase = phase
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", Ready: ready}}
	return p
}

// world: what a source "apps" created in namespace shop, and what the
// controllers made below it; plus an object of another source.
func world() []objects.Object {
	one, two := int32(1), int32(2)
	d := typed(&appsv1.Deployment{ObjectMeta: meta("web", "apps", nil), Spec: appsv1.DeploymentSpec{Replicas: &two},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 1, AvailableReplicas: 1}}, "Deployment")
	rs := typed(&appsv1.ReplicaSet{ObjectMeta: meta("web-5d8", "", d), Spec: appsv1.ReplicaSetSpec{Replicas: &two},
		Status: appsv1.ReplicaSetStatus{ObservedGeneration: 1, Replicas: 2, ReadyReplicas: 1, AvailableReplicas: 1}}, "ReplicaSet")
	svc := typed(&corev1.Service{ObjectMeta: meta("web", "apps", nil), Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10"}}, "Service")
	ep := typed(&corev1.Endpoints{ObjectMeta: meta("web", "", nil), Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.244.0.5"}}, NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.244.0.6"}}}}}, "Endpoints")
	sts := typed(&appsv1.StatefulSet{ObjectMeta: meta("db", "apps", nil), Spec: appsv1.StatefulSetSpec{Replicas: &one},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, ReadyReplicas: 1, CurrentReplicas: 1, CurrentRevision: "db-1", UpdateRevision: "db-1"}}, "StatefulSet")
	cj := typed(&batchv1.CronJob{ObjectMeta: meta("backup", "apps", nil)}, "CronJob")
	job := typed(&batchv1.Job{ObjectMeta: meta("backup-29000", "", cj)}, "Job")
	job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}}
	cm := typed(&corev1.ConfigMap{ObjectMeta: meta("cfg", "apps", nil)}, "ConfigMap")
	other := typed(&appsv1.Deployment{ObjectMeta: meta("elsewhere", "other", nil), Spec: appsv1.DeploymentSpec{Replicas: &one},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}}, "Deployment")
	node := typed(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, "Node")
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}
	return []objects.Object{node, cm, svc, ep, d, rs, pod("web-5d8-a", rs, corev1.PodRunning, true), pod("web-5d8-b", rs, corev1.PodPending, false),
		sts, pod("db-0", sts, corev1.PodRunning, true), cj, job, pod("backup-29000-x", job, corev1.PodFailed, false), other}
}

// TestBuildTree: Argo CD's picture, generic over ownerReferences: every
// kind hangs under its controller, a Service has its Endpoints, each node
// its health from the kind's assessor.
func TestBuildTree(t *testing.T) {
	testkit.GoldenJSON(t, "testdata/tree.golden", BuildTree(world(), "apps", "shop"))
}

func TestBuildOverview(t *testing.T) {
	sources := []apitypes.SourceStatus{
		{SourceStatus: reconcile.SourceStatus{Name: "apps", LastAppliedCommit: "c0ffee", LastAttemptedCommit: "bad1", Errors: []string{"web.yaml:8:3: spec.replicaz: field \"replicaz\" is not supported"}}},
		{SourceStatus: reconcile.SourceStatus{Name: "other"}},
	}
	testkit.GoldenJSON(t, "testdata/overview.golden", BuildOverview(sources, world()))
}

// TestBuildObject: a pod's page names its owners up to the Deployment and
// shows that Deployment's file in git; a Secret's file is never shown.
func TestBuildObject(t *testing.T) {
	all := world()
	var p objects.Object
	for _, o := range all {
		if o.GetName() == "web-5d8-b" {
			p = o
		}
	}
	ev := typed(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "e1"}, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-5d8-b", UID: p.GetUID()},
		Type: "Warning", Reason: "FailedScheduling", Message: "0/1 nodes are available"}, "Event")
	otherEv := typed(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "e2"}, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-5d8-a", UID: "Pod/web-5d8-a"}}, "Event")
	v := BuildObject(p, all, []objects.Object{ev, otherEv})
	v.Object = nil // the object itself is the caller's (masked) copy
	testkit.GoldenJSON(t, "testdata/object.golden", v)

	s := typed(&corev1.Secret{ObjectMeta: meta("db", "apps", nil)}, "Secret")
	if m := BuildObject(s, all, nil).Manifest; m == nil || m.Error == "" || m.Text != "" {
		t.Fatalf("a Secret's manifest: %+v, want an error and no text", m)
	}
}

func TestDeclaresSecret(t *testing.T) {
	for text, want := range map[string]bool{
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n":                                     true,
		"kind: Deployment\n---\napiVersion: v1\nkind: 'Secret'\nstringData:\n  password: hunter2\n": true,
		`{"apiVersion": "v1", "kind": "Secret", "data": {}}`:                                        true,
		"kind:Secret\n": true,
		"kind: Deployment\nmetadata:\n  name: secret-reader\n": false,
		"kind: SecretProviderClass\n":                          false,
		"env:\n  - name: kind\n    value: Secrets\n":           false,
	} {
		if got := DeclaresSecret([]byte(text)); got != want {
			t.Errorf("DeclaresSecret(%q) = %v, want %v", text, got, want)
		}
	}
}

func FuzzDeclaresSecret(f *testing.F) {
	f.Add("kind: Secret\n")
	f.Add(`{"kind":"Secret"}`)
	f.Add("kind: Deployment\n")
	f.Fuzz(func(t *testing.T, text string) {
		// Any file holding a YAML line "kind: Secret" is hidden.
		if strings.Contains("\n"+text+"\n", "\nkind: Secret\n") && !DeclaresSecret([]byte(text)) {
			t.Fatalf("%q declares a Secret but would be shown", text)
		}
	})
}
