package scalebench

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestTracker(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tr := newTracker(clock.Now)
	pod := func(uid, node, rev string, phase corev1.PodPhase, deleting bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: uid, Namespace: "default", UID: types.UID(uid), Labels: map[string]string{LabelRevision: rev}},
			Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: phase}}
		if deleting {
			p.DeletionTimestamp = &metav1.Time{}
		}
		return p
	}
	start := clock.Now()
	tr.apply(pod("a", "", "1", corev1.PodPending, false), false)
	clock.Add(time.Second)
	tr.apply(pod("a", "n1", "1", corev1.PodPending, false), false) // bound
	tr.apply(pod("b", "n2", "1", corev1.PodRunning, false), false) // seen bound at once
	clock.Add(time.Second)
	tr.apply(pod("a", "n1", "1", corev1.PodRunning, false), false) // no second binding
	tr.apply(pod("c", "n2", "2", corev1.PodRunning, false), false)
	tr.apply(pod("d", "n1", "1", corev1.PodRunning, true), false) // terminating
	if got := tr.running("1", nil); got != 2 {
		t.Errorf("running rev 1 = %d, want 2", got)
	}
	if got := tr.lastRunningSince(start); got != 2*time.Second {
		t.Errorf("lastRunningSince = %s, want 2s (pod a became Running then)", got)
	}
	clock.Add(time.Second)
	tr.apply(pod("a", "n1", "1", corev1.PodRunning, false), false) // still Running: not a new last
	if got := tr.lastRunningSince(start); got != 2*time.Second {
		t.Errorf("after a pod stayed Running: lastRunningSince = %s, want 2s", got)
	}
	tr.apply(pod("f", "", "1", corev1.PodPending, false), false)
	if got, want := tr.counts("1", nil), (PodCounts{Created: 3, Bound: 2, Running: 2}); got != want {
		t.Errorf("counts of rev 1 = %+v, want %+v", got, want)
	}
	tr.apply(pod("f", "", "1", corev1.PodPending, false), true)
	if got := tr.running("1", map[string]bool{"n2": true}); got != 1 {
		t.Errorf("running rev 1 off n2 = %d, want 1", got)
	}
	if got := tr.throughput(start); got != 4 {
		t.Errorf("throughput = %v, want 4 binds over at least a second", got)
	}
	tr.apply(pod("b", "n2", "1", corev1.PodRunning, false), true)
	if got := tr.running("1", nil); got != 1 {
		t.Errorf("after a delete: running rev 1 = %d, want 1", got)
	}
	node, keys := tr.runningOnOneNode("2")
	if node != "n2" || len(keys) != 1 || keys[0] != (objects.Key{Kind: "Pod", Namespace: "default", Name: "c"}) {
		t.Errorf("runningOnOneNode = %s %v", node, keys)
	}
	tr.reset([]objects.Object{pod("c", "n2", "2", corev1.PodRunning, false), pod("e", "n3", "2", corev1.PodRunning, false)})
	if r1, r2 := tr.running("1", nil), tr.running("2", nil); r1 != 0 || r2 != 2 {
		t.Errorf("after a relist: running %d of rev 1, %d of rev 2; want 0 and 2", r1, r2)
	}
}
