package agent

import (
	"context"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// heldControlPlane holds every RecordEvent until release is closed and
// remembers the counts it was sent, in order.
type heldControlPlane struct {
	*fakeControlPlane
	entered chan struct{} // one per RecordEvent called
	release chan struct{}
	mu      sync.Mutex
	counts  []int32
}

func (h *heldControlPlane) RecordEvent(ctx context.Context, ev *corev1.Event) error {
	h.entered <- struct{}{}
	<-h.release
	h.mu.Lock()
	h.counts = append(h.counts, ev.Count)
	h.mu.Unlock()
	return h.fakeControlPlane.RecordEvent(ctx, ev)
}

// A repeat counted up while its first send is in flight goes out in the
// next wave, once, at its last count: the stored count only goes up, and
// record never waits for the control plane.
func TestEventWavesSendARepeatOnceAtItsLastCount(t *testing.T) {
	cp := &heldControlPlane{fakeControlPlane: newFakeControlPlane(), entered: make(chan struct{}, 8), release: make(chan struct{})}
	clock := testkit.NewClock(t0)
	r := newEventRecorder(cp, "n1", clock.Now, func(string, ...any) {})
	p := pod("web", "u-web", corev1.RestartPolicyAlways, "app")
	backOff := func() {
		r.record(context.Background(), p, "app", corev1.EventTypeWarning, ReasonBackOff, "Back-off restarting failed container app")
	}
	backOff()
	<-cp.entered // the first is in flight (held); the next three wait for the next wave
	for range 3 {
		backOff()
	}
	close(cp.release)
	r.flush()
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if len(cp.counts) != 2 || cp.counts[0] != 1 || cp.counts[1] != 4 {
		t.Fatalf("counts sent %v, want [1 4]: the first alone, then the repeat once at its last count", cp.counts)
	}
	if got := cp.eventsFor("web"); len(got) != 1 || got[0] != "BackOff: Back-off restarting failed container app (4)" {
		t.Errorf("stored events %v", got)
	}
}

func TestLastOfEachNameKeepsQueueOrder(t *testing.T) {
	ev := func(name string, count int32) *corev1.Event {
		e := &corev1.Event{Count: count}
		e.Namespace, e.Name = "default", name
		return e
	}
	got := lastOfEachName([]*corev1.Event{ev("a", 1), ev("b", 1), ev("a", 2), ev("c", 1), ev("b", 2)})
	want := []string{"a:2", "c:1", "b:2"} // each at its last place in the queue
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %v", len(got), want)
	}
	for i, e := range got {
		if s := e.Name + ":" + string(rune('0'+e.Count)); s != want[i] {
			t.Errorf("event %d = %s, want %s", i, s, want[i])
		}
	}
}
