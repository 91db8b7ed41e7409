package agent

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func newLoopAgent(t *testing.T, cp ControlPlane, rt Runtime, clock *testkit.Clock) *Agent {
	t.Helper()
	a, err := New(Options{NodeName: "n1", DataDir: t.TempDir(), ControlPlane: cp, Runtime: rt, Clock: clock.Now,
		Host: &HostInfo{IP: "192.0.2.1", CPUs: 2, MemoryBytes: 1 << 30}, Logger: slog.New(slog.DiscardHandler),
		HeartbeatInterval: 10 * time.Millisecond, ResyncInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func syncOnce(t *testing.T, a *Agent) {
	t.Helper()
	if _, err := a.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The loop over fakes: start, stay quiet when healthy, restart with backoff,
// remove, and write a status only when it changed.
func TestAgentLoop(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	p := pod("web", "u-web", corev1.RestartPolicyAlways, "app")
	cp.putPod(p)

	syncOnce(t, a)
	st := cp.pod("default", "web").Status
	if st.Phase != corev1.PodRunning || st.PodIP == "" || st.ContainerStatuses[0].ContainerID == "" {
		t.Fatalf("after the first sync: %+v", st)
	}
	updates, calls := cp.statusUpdates, len(rt.calls)
	clock.Add(5 * time.Second)
	syncOnce(t, a)
	if cp.statusUpdates != updates || len(rt.calls) != calls {
		t.Errorf("a healthy pod caused %d status writes and runtime calls %v", cp.statusUpdates-updates, rt.calls[calls:])
	}

	// First exit: restarted at once. Second exit: CrashLoopBackOff for 10 s.
	rt.exit(st.ContainerStatuses[0].ContainerID, 1)
	syncOnce(t, a)
	st = cp.pod("default", "web").Status
	if cs := st.ContainerStatuses[0]; cs.RestartCount != 1 || cs.State.Running == nil || cs.LastTerminationState.Terminated == nil {
		t.Fatalf("after the first exit: %+v", cs)
	}
	rt.exit(st.ContainerStatuses[0].ContainerID, 1)
	syncOnce(t, a)
	if cs := cp.pod("default", "web").Status.ContainerStatuses[0]; cs.State.Waiting == nil || cs.State.Waiting.Reason != "CrashLoopBackOff" {
		t.Fatalf("after the second exit: %+v", cs)
	}
	clock.Add(11 * time.Second)
	syncOnce(t, a)
	if cs := cp.pod("default", "web").Status.ContainerStatuses[0]; cs.RestartCount != 2 || cs.State.Running == nil {
		t.Fatalf("after the backoff: %+v", cs)
	}

	cp.deletePod("default", "web")
	syncOnce(t, a)
	select {
	case <-rt.removed:
	case <-time.After(10 * time.Second):
		t.Fatal("the deleted pod was not removed")
	}
	a.removals.Wait()
	got := strings.Join(rt.calls, "\n")
	want := "create-pod default_web_uweb\nrun default_web_uweb_app_0\nrun default_web_uweb_app_1\nrun default_web_uweb_app_2\nremove-pod pod1"
	if got != want {
		t.Errorf("runtime calls:\n%s\nwant:\n%s", got, want)
	}
}

// Image and config failures are waiting reasons, retried after the backoff.
func TestAgentStartFailures(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	p := pod("web", "u-web", corev1.RestartPolicyAlways, "app")
	p.Spec.Containers[0].Image = "missing:v1"
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	cp.putPod(p)
	syncOnce(t, a)
	cs := cp.pod("default", "web").Status.ContainerStatuses[0]
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "ErrImageNeverPull" || !strings.Contains(cs.State.Waiting.Message, "missing:v1") {
		t.Fatalf("status: %+v", cs)
	}
	rt.mu.Lock()
	rt.images["missing:v1"] = true
	rt.mu.Unlock()
	syncOnce(t, a) // still backing off
	if got := cp.pod("default", "web").Status.ContainerStatuses[0]; got.State.Running != nil {
		t.Fatal("retried before the backoff")
	}
	clock.Add(11 * time.Second)
	syncOnce(t, a)
	if got := cp.pod("default", "web").Status.ContainerStatuses[0]; got.State.Running == nil {
		t.Fatalf("not running after the backoff: %+v", got)
	}
}

// Run registers, heartbeats, and registers again when the controller lost the node.
func TestAgentRunRegistersAndHeartbeats(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	cp.putPod(pod("web", "u-web", corev1.RestartPolicyAlways, "app"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	eventually(t, 10*time.Second, "node registered, heartbeats and the pod running", func() (bool, string) {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		n := cp.nodes["n1"]
		return n != nil && cp.heartbeats >= 2 && cp.pods["default/web"].Status.Phase == corev1.PodRunning, "not yet"
	})
	cp.mu.Lock()
	delete(cp.nodes, "n1")
	cp.mu.Unlock()
	eventually(t, 10*time.Second, "node registered again", func() (bool, string) {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		return cp.nodes["n1"] != nil, "not yet"
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n := cp.nodes["n1"]
	if n.Status.Capacity.Pods().Value() != MaxPods || n.Status.Capacity.Cpu().Value() != 2 {
		t.Errorf("node capacity: %v", n.Status.Capacity)
	}
}
