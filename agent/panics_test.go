package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// panickyRuntime panics when it is asked to run a container of one pod.
type panickyRuntime struct {
	*fakeRuntime
	podName string
}

func (r *panickyRuntime) RunContainer(ctx context.Context, cfg ContainerConfig) (string, error) {
	if strings.HasPrefix(cfg.Pod, "default_"+r.podName+"_") {
		panic("boom in RunContainer")
	}
	return r.fakeRuntime.RunContainer(ctx, cfg)
}

// A panic while executing one pod's action becomes a Warning event on that
// pod; the pod backs off while the others run, and is retried later.
func TestAgentActionPanicIsIsolated(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp := newFakeControlPlane()
	rt := &panickyRuntime{fakeRuntime: newFakeRuntime(clock.Now), podName: "bad"}
	a := newLoopAgent(t, cp, rt, clock)
	cp.putPod(pod("bad", "u-bad", corev1.RestartPolicyAlways, "app"))
	cp.putPod(pod("good", "u-good", corev1.RestartPolicyAlways, "app"))

	syncOnce(t, a) // must not panic
	if st := cp.pod("default", "good").Status; st.Phase != corev1.PodRunning {
		t.Fatalf("the healthy pod did not run beside the panicking one: %+v", st)
	}
	evs := strings.Join(cp.eventsFor("bad"), "\n")
	if !strings.Contains(evs, ReasonFailedSync+": action panicked") || !strings.Contains(evs, "boom in RunContainer") {
		t.Fatalf("no FailedSync event naming the panic on the pod; events:\n%s", evs)
	}
	if strings.Contains(strings.Join(cp.eventsFor("good"), "\n"), ReasonFailedSync) {
		t.Errorf("the healthy pod got the panic's event: %v", cp.eventsFor("good"))
	}

	// Within the backoff the panicking pod is not tried again.
	rt.mu.Lock()
	rt.calls = nil
	rt.mu.Unlock()
	clock.Add(5 * time.Second)
	syncOnce(t, a)
	if rt.countPrefix("create-pod default_bad_") != 0 {
		t.Errorf("the pod was worked on during its backoff: %v", rt.calls)
	}
	// After it, it is retried (and panics again: the count goes up).
	clock.Add(10 * time.Second)
	syncOnce(t, a)
	if !strings.Contains(strings.Join(cp.eventsFor("bad"), "\n"), "(2)") {
		t.Errorf("the pod was not retried after its backoff; events: %v", cp.eventsFor("bad"))
	}
}

// A panic of the pure sync step for one pod leaves the other pods synced.
func TestAgentSyncPanicIsIsolated(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	orig := syncStep
	t.Cleanup(func() { syncStep = orig })
	syncStep = func(desired []*corev1.Pod, observed []ObservedPod, now time.Time) []Action {
		for _, p := range desired {
			if p.Name == "bad" {
				panic("boom in Sync")
			}
		}
		return orig(desired, observed, now)
	}
	cp.putPod(pod("bad", "u-bad", corev1.RestartPolicyAlways, "app"))
	cp.putPod(pod("good", "u-good", corev1.RestartPolicyAlways, "app"))
	syncOnce(t, a)
	if st := cp.pod("default", "good").Status; st.Phase != corev1.PodRunning {
		t.Fatalf("the healthy pod did not run beside the panicking one: %+v", st)
	}
	if evs := strings.Join(cp.eventsFor("bad"), "\n"); !strings.Contains(evs, "boom in Sync") {
		t.Fatalf("no event naming the panic on the pod; events:\n%s", evs)
	}
}
