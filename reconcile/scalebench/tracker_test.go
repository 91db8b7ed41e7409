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

// stages: when the watch first saw a revision's pods created, bound and
// Running, from a phase's start; pods of another revision and times before
// the start do not count.
func TestTrackerStages(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tr := newTracker(clock.Now)
	pod := func(uid, node, rev string, phase corev1.PodPhase) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: uid, Namespace: "default", UID: types.UID(uid), Labels: map[string]string{LabelRevision: rev}},
			Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: phase}}
	}
	tr.apply(pod("old", "n1", "1", corev1.PodRunning), false) // before the start
	clock.Add(time.Second)
	start := clock.Now()
	if s := tr.stages("2", start); s != nil {
		t.Errorf("stages of a revision not seen: %+v, want nil", s)
	}
	clock.Add(100 * time.Millisecond)
	tr.apply(pod("a", "", "2", corev1.PodPending), false)
	tr.apply(pod("x", "n9", "3", corev1.PodRunning), false) // another revision
	clock.Add(100 * time.Millisecond)
	tr.apply(pod("b", "", "2", corev1.PodPending), false)
	tr.apply(pod("a", "n1", "2", corev1.PodPending), false)
	clock.Add(100 * time.Millisecond)
	tr.apply(pod("b", "n2", "2", corev1.PodPending), false)
	tr.apply(pod("a", "n1", "2", corev1.PodRunning), false)
	clock.Add(200 * time.Millisecond)
	tr.apply(pod("b", "n2", "2", corev1.PodRunning), false)
	tr.apply(pod("b", "n2", "2", corev1.PodRunning), false) // still Running: not a new time
	want := Stages{FirstCreated: 0.1, LastCreated: 0.2, FirstBound: 0.2, LastBound: 0.3, FirstRunning: 0.3, LastRunning: 0.5}
	got := tr.stages("2", start)
	if got == nil {
		t.Fatal("no stages for revision 2")
	}
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	if !near(got.FirstCreated, want.FirstCreated) || !near(got.LastCreated, want.LastCreated) || !near(got.FirstBound, want.FirstBound) ||
		!near(got.LastBound, want.LastBound) || !near(got.FirstRunning, want.FirstRunning) || !near(got.LastRunning, want.LastRunning) {
		t.Errorf("stages = %+v, want %+v", *got, want)
	}
	if s := tr.stages("1", start); s != nil {
		t.Errorf("revision 1 was seen only before the start: %+v, want nil", s)
	}
}
