package controllers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// A binding the binder could not write is forgotten on the runner's
// goroutine: the pod leaves its node's accounting, is queued again, and
// the scheduler runs again (kube-scheduler's ForgetPod).
func TestForgetFailedQueuesThePodAgain(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	objects.SetTypeMeta(n, "Node")
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourcePods: resource.MustParse("110")}
	MarkHeartbeat(n, time.Now())
	pod := func(name string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID("uid-" + name)}}
		objects.SetTypeMeta(p, "Pod")
		p.Spec.Containers = []corev1.Container{{Name: "app", Image: "img", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("600m")}}}}
		return p
	}
	a, b := pod("a"), pod("b")
	snap := scheduler.NewSnapshot([]*corev1.Node{n}, []*corev1.Pod{a, b})
	s := scheduler.New()
	s.Assume = true
	res := s.ScheduleOn(snap, snap.Pending())
	if len(res.Bindings) != 1 || snap.Assumed() != 1 {
		t.Fatalf("placed %v with %d assumed; want one of the two (600m each on 1 cpu), assumed", res.Bindings, snap.Assumed())
	}
	placed := a
	if _, ok := res.Bindings[scheduler.PodKey(b)]; ok {
		placed = b
	}

	m := &Manager{inf: &informer{cache: newCache()}, q: newQueue(0, nil), binder: &binder{notify: make(chan struct{}, 1)}}
	m.inf.cache.sched = snap
	m.binder.fail([]Binding{{Pod: placed, Node: "n1"}})
	select {
	case <-m.binder.notify:
	default:
		t.Fatal("a failed binding does not wake the runner")
	}
	m.forgetFailed()
	if snap.Assumed() != 0 || len(snap.Pending()) != 2 {
		t.Fatalf("after forgetting: %d assumed, %d pending; want 0 and 2", snap.Assumed(), len(snap.Pending()))
	}
	if keys := m.q.take(keySchedule.Kind); len(keys) != 1 {
		t.Fatalf("the scheduler is not queued again: %v", keys)
	}
	// Its node no longer counts it: one of the two fits again.
	s.Assume = false
	if res := s.ScheduleOn(snap, snap.Pending()); len(res.Bindings) != 1 {
		t.Fatalf("after forgetting, placed %v; want one pod", res.Bindings)
	}
}
