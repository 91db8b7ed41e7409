package controllers

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func replicaSet(name string, replicas int32) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: "rs-uid", Generation: 1}}
	objects.SetTypeMeta(rs, "ReplicaSet")
	rs.Spec.Replicas = &replicas
	rs.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	rs.Spec.Template.Labels = map[string]string{"app": "web", "tier": "front"}
	rs.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: "img"}}
	return rs
}

type podState func(*corev1.Pod)

func scheduled(p *corev1.Pod) { p.Spec.NodeName = "n1" }
func running(p *corev1.Pod)   { p.Status.Phase = corev1.PodRunning }
func readyAt(t time.Time) podState {
	return func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t)})
	}
}
func createdAt(t time.Time) podState {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(t) }
}

func ownedPod(rs *appsv1.ReplicaSet, name string, states ...podState) *corev1.Pod {
	p := newPod(rs, func() string { return name }, map[string]bool{})
	p.UID = types.UID("uid-" + name)
	p.CreationTimestamp = metav1.NewTime(t0)
	for _, s := range states {
		s(p)
	}
	return p
}

func TestReplicaSetScaleUpCreatesUnboundPods(t *testing.T) {
	rs := replicaSet("web-abc", 2)
	seq := []string{"aaaaa", "aaaaa", "bbbbb"} // a collision is retried
	i := 0
	ch := ReconcileReplicaSet(rs, nil, func() string { i++; return seq[i-1] }, t0)
	if len(ch.Create) != 2 {
		t.Fatalf("created %d pods, want 2", len(ch.Create))
	}
	testkit.GoldenJSON(t, "testdata/replicaset-new-pod.golden", ch.Create[0])
	if n := ch.Create[1].GetName(); n != "web-abc-bbbbb" {
		t.Errorf("second pod %q, want web-abc-bbbbb", n)
	}
	st := ch.UpdateStatus[0].(*appsv1.ReplicaSet).Status
	if st.Replicas != 2 || st.FullyLabeledReplicas != 2 || st.ReadyReplicas != 0 || st.ObservedGeneration != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestRandomSuffix(t *testing.T) {
	s := RandomSuffix()
	if len(s) != 5 {
		t.Fatalf("suffix %q", s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			t.Fatalf("suffix %q has %q", s, c)
		}
	}
}

func TestReplicaSetScaleDownPreference(t *testing.T) {
	rs := replicaSet("web-abc", 0)
	later := t0.Add(time.Minute)
	tests := []struct {
		name       string
		keep, gone *corev1.Pod
	}{
		{"unscheduled before scheduled", ownedPod(rs, "keep", scheduled), ownedPod(rs, "gone")},
		{"pending before running", ownedPod(rs, "keep", scheduled, running), ownedPod(rs, "gone", scheduled)},
		{"not ready before ready", ownedPod(rs, "keep", scheduled, running, readyAt(t0)), ownedPod(rs, "gone", scheduled, running)},
		{"ready for less time first", ownedPod(rs, "keep", scheduled, running, readyAt(t0)), ownedPod(rs, "gone", scheduled, running, readyAt(later))},
		{"newer before older", ownedPod(rs, "keep", scheduled, running), ownedPod(rs, "gone", scheduled, running, createdAt(later))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			one := int32(1)
			rs.Spec.Replicas = &one
			for _, pods := range [][]*corev1.Pod{{tt.keep, tt.gone}, {tt.gone, tt.keep}} {
				ch := ReconcileReplicaSet(rs, pods, nil, t0)
				if len(ch.Delete) != 1 || ch.Delete[0].GetName() != tt.gone.Name {
					t.Errorf("deleted %v, want %s", names(ch.Delete), tt.gone.Name)
				}
			}
		})
	}
}

func TestReplicaSetClaimsPods(t *testing.T) {
	rs := replicaSet("web-abc", 2)
	orphan := ownedPod(rs, "orphan")
	orphan.OwnerReferences = nil
	foreign := ownedPod(rs, "foreign")
	foreign.OwnerReferences[0].UID = "someone-else"
	relabelled := ownedPod(rs, "relabelled")
	relabelled.Labels = map[string]string{"app": "debug"}
	failed := ownedPod(rs, "failed")
	failed.Status.Phase = corev1.PodFailed
	mine := ownedPod(rs, "mine")

	ch := ReconcileReplicaSet(rs, []*corev1.Pod{orphan, foreign, relabelled, failed, mine}, func() string { return "new01" }, t0)
	if len(ch.Create) != 0 || len(ch.Delete) != 0 {
		t.Errorf("created %v deleted %v, want neither (mine + adopted orphan = 2)", names(ch.Create), names(ch.Delete))
	}
	if len(ch.Update) != 2 {
		t.Fatalf("updates %v, want the orphan adopted and the relabelled pod released", names(ch.Update))
	}
	for _, o := range ch.Update {
		switch o.GetName() {
		case orphan.Name:
			if !ownedBy(o, rs) {
				t.Errorf("orphan not adopted: %v", o.GetOwnerReferences())
			}
		case relabelled.Name:
			if hasController(o) {
				t.Errorf("relabelled pod still owned: %v", o.GetOwnerReferences())
			}
		}
	}
}

func TestReplicaSetAvailabilityWaitsForMinReadySeconds(t *testing.T) {
	rs := replicaSet("web-abc", 1)
	rs.Spec.MinReadySeconds = 10
	p := ownedPod(rs, "p", scheduled, running, readyAt(t0))
	ch := ReconcileReplicaSet(rs, []*corev1.Pod{p}, nil, t0.Add(4*time.Second))
	st := ch.UpdateStatus[0].(*appsv1.ReplicaSet).Status
	if st.ReadyReplicas != 1 || st.AvailableReplicas != 0 || ch.RequeueAfter != 6*time.Second {
		t.Errorf("ready %d available %d requeue %s; want 1, 0, 6s", st.ReadyReplicas, st.AvailableReplicas, ch.RequeueAfter)
	}
	ch = ReconcileReplicaSet(rs, []*corev1.Pod{p}, nil, t0.Add(10*time.Second))
	if st := ch.UpdateStatus[0].(*appsv1.ReplicaSet).Status; st.AvailableReplicas != 1 {
		t.Errorf("available %d after minReadySeconds", st.AvailableReplicas)
	}
}

func TestReplicaSetBurst(t *testing.T) {
	rs := replicaSet("web-abc", BurstReplicas+10)
	n := 0
	ch := ReconcileReplicaSet(rs, nil, func() string { n++; return string(rune('a'+n%26)) + time.Duration(n).String() }, t0)
	if len(ch.Create) != BurstReplicas || !ch.Requeue {
		t.Errorf("created %d requeue %v, want %d and a requeue", len(ch.Create), ch.Requeue, BurstReplicas)
	}
}

func TestReplicaSetSelectorMismatch(t *testing.T) {
	rs := replicaSet("web-abc", 1)
	rs.Spec.Template.Labels = map[string]string{"app": "x"}
	ch := ReconcileReplicaSet(rs, nil, nil, t0)
	if len(ch.Create) != 0 || len(ch.UpdateStatus) != 1 {
		t.Fatalf("changes %+v", ch)
	}
	if c := ch.UpdateStatus[0].(*appsv1.ReplicaSet).Status.Conditions; len(c) != 1 || c[0].Reason != "InvalidSelector" {
		t.Errorf("conditions %+v", c)
	}
}
