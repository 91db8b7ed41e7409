package agent

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// AdoptPod makes the fake control plane a PodAdopter, as the API server is.
func (f *fakeControlPlane) AdoptPod(_ context.Context, p *corev1.Pod) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := p.Namespace + "/" + p.Name
	if cur := f.pods[key]; cur != nil {
		if cur.UID == p.UID {
			return "exists", nil
		}
		return "name-taken", nil
	}
	f.pods[key] = p.DeepCopy()
	f.bump()
	return "adopted", nil
}

func TestPodSpecLabelRoundTrip(t *testing.T) {
	p := pod("web-1", "u-web-1", corev1.RestartPolicyAlways, "app")
	p.Labels = map[string]string{"app": "web", "pod-template-hash": "abc"}
	yes := true
	p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web", UID: "rs", Controller: &yes}}
	p.Status.Phase = corev1.PodRunning
	p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}}}
	s := EncodePodSpec(p)
	if s == "" || strings.ContainsAny(s, " \n") {
		t.Fatalf("label value %q", s)
	}
	got, err := DecodePodSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.UID != p.UID || got.Name != p.Name || got.Labels["pod-template-hash"] != "abc" || got.Spec.Containers[0].Env[0].ValueFrom.SecretKeyRef.Name != "s" {
		t.Errorf("decoded %+v", got)
	}
	if got.Status.Phase != "" || len(got.OwnerReferences) != 0 {
		t.Errorf("the label carries status or owners: %+v %+v", got.Status, got.OwnerReferences)
	}
	for _, bad := range []string{"", "!!", "aGVsbG8=", EncodePodSpec(&corev1.Pod{})} {
		if _, err := DecodePodSpec(bad); err == nil {
			t.Errorf("DecodePodSpec(%q) accepted", bad)
		}
	}
}

func FuzzDecodePodSpec(f *testing.F) {
	f.Add(EncodePodSpec(pod("web", "u", corev1.RestartPolicyAlways, "app")))
	f.Add("")
	f.Add("H4sIAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := DecodePodSpec(s)
		if err == nil && (p.Name == "" || p.UID == "") {
			t.Errorf("decoded a pod without name or uid")
		}
	})
}

func TestAdoptable(t *testing.T) {
	bound := pod("bound", "u-bound", corev1.RestartPolicyAlways, "app")
	orphan := pod("orphan", "u-orphan", corev1.RestartPolicyAlways, "app")
	stopped := pod("stopped", "u-stopped", corev1.RestartPolicyAlways, "app")
	old := pod("old", "u-old", corev1.RestartPolicyAlways, "app")
	observed := []ObservedPod{
		{Key: "default/bound", UID: "u-bound", PodSpec: EncodePodSpec(bound), Containers: []ObservedContainer{running(bound, "app", 0)}},
		{Key: "default/orphan", UID: "u-orphan", PodSpec: EncodePodSpec(orphan), Containers: []ObservedContainer{running(orphan, "app", 0)}},
		{Key: "default/stopped", UID: "u-stopped", PodSpec: EncodePodSpec(stopped), Containers: []ObservedContainer{exited(stopped, "app", 0, 0, 0)}},
		{Key: "default/old", UID: "u-old", Containers: []ObservedContainer{running(old, "app", 0)}}, // made before the label
	}
	got := Adoptable([]*corev1.Pod{bound}, observed)
	if len(got) != 1 || got[0].UID != "u-orphan" {
		t.Errorf("Adoptable = %+v, want only the running orphan", got)
	}
}

// The store is lost: a new, empty control plane. The restarted agent reports
// the pod it runs, which comes back under its uid, and nothing is restarted.
func TestAgentAdoptsRunningPodsAfterALostStore(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	p := pod("web-1", "u-web-1", corev1.RestartPolicyAlways, "app")
	p.Labels = map[string]string{"app": "web"}
	cp.putPod(p)
	syncOnce(t, a)
	before := cp.pod("default", "web-1").Status.ContainerStatuses[0].ContainerID

	lost := newFakeControlPlane()
	b := newLoopAgent(t, lost, rt, clock)
	b.adoptRunning(context.Background())
	got := lost.pod("default", "web-1")
	if got == nil || got.UID != "u-web-1" || got.Spec.NodeName != "n1" || got.Labels["app"] != "web" {
		t.Fatalf("after adoption the store holds %+v", got)
	}
	if got.Status.Phase != corev1.PodRunning {
		t.Errorf("adopted without its observed status: %+v", got.Status)
	}
	calls := len(rt.calls)
	syncOnce(t, b)
	if extra := rt.calls[calls:]; len(extra) != 0 {
		t.Errorf("the adopted pod was touched: %v", extra)
	}
	if after := lost.pod("default", "web-1").Status.ContainerStatuses[0].ContainerID; after != before {
		t.Errorf("container %s replaced by %s", before, after)
	}
}
