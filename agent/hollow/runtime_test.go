package hollow

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

const testCIDR = "10.244.5.0/24"

// simNode is the real agent over the in-memory runtime, driven sync by
// sync with a test clock.
type simNode struct {
	t     *testing.T
	cp    *memControlPlane
	clock *testkit.Clock
	agent *agent.Agent
}

func newSimNode(t *testing.T, b Behaviour) *simNode {
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cp := newMemControlPlane()
	rt := NewRuntime(b, func(context.Context) (string, error) { return testCIDR, nil }, clock.Now)
	a, err := agent.New(agent.Options{NodeName: "hollow-0000", DataDir: t.TempDir(), ControlPlane: cp, Runtime: rt, Clock: clock.Now,
		Host: &agent.HostInfo{Hostname: "hollow-0000", CPUs: 32, MemoryBytes: 128 << 30}, UsageInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &simNode{t: t, cp: cp, clock: clock, agent: a}
}

func (n *simNode) sync() {
	n.t.Helper()
	if _, err := n.agent.SyncOnce(context.Background()); err != nil {
		n.t.Fatal(err)
	}
}

func testPod(uid string, policy corev1.RestartPolicy) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-" + uid, UID: types.UID("uid-" + uid)},
		Spec: corev1.PodSpec{NodeName: "hollow-0000", RestartPolicy: policy,
			Containers: []corev1.Container{{Name: "web", Image: "localhost/reconcile-hello:v1"}}},
	}
}

func condition(p *corev1.Pod, c corev1.PodConditionType) corev1.ConditionStatus {
	for _, x := range p.Status.Conditions {
		if x.Type == c {
			return x.Status
		}
	}
	return ""
}

func TestRunningPodHasAddressOfNodeSubnetAndIsReady(t *testing.T) {
	n := newSimNode(t, Behaviour{})
	pods := []*corev1.Pod{testPod("a", corev1.RestartPolicyAlways), testPod("b", corev1.RestartPolicyAlways)}
	for _, p := range pods {
		n.cp.put(p)
	}
	n.sync()
	n.sync()
	ips := map[string]bool{}
	for _, p := range pods {
		got := n.cp.get(string(p.UID))
		if got.Status.Phase != corev1.PodRunning || condition(got, corev1.PodReady) != corev1.ConditionTrue {
			t.Fatalf("pod %s: phase %q, Ready %q; want Running and Ready", p.Name, got.Status.Phase, condition(got, corev1.PodReady))
		}
		ip, err := netip.ParseAddr(got.Status.PodIP)
		if err != nil || !netip.MustParsePrefix(testCIDR).Contains(ip) {
			t.Errorf("pod %s: podIP %q, want an address of %s", p.Name, got.Status.PodIP, testCIDR)
		}
		if ips[got.Status.PodIP] {
			t.Errorf("pod %s: podIP %s given twice", p.Name, got.Status.PodIP)
		}
		ips[got.Status.PodIP] = true
	}
}

func TestFailingPodWithRestartNeverFails(t *testing.T) {
	n := newSimNode(t, Behaviour{FailFraction: 1})
	p := testPod("a", corev1.RestartPolicyNever)
	n.cp.put(p)
	n.sync()
	n.sync()
	got := n.cp.get(string(p.UID))
	if got.Status.Phase != corev1.PodFailed {
		t.Fatalf("phase %q, want Failed; status %+v", got.Status.Phase, got.Status.ContainerStatuses)
	}
	if cs := got.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].State.Terminated.ExitCode != 1 {
		t.Errorf("container status %+v, want terminated with exit code 1", cs)
	}
}

func TestFailingPodGoesIntoCrashLoopBackOff(t *testing.T) {
	n := newSimNode(t, Behaviour{FailFraction: 1})
	p := testPod("a", corev1.RestartPolicyAlways)
	n.cp.put(p)
	for range 4 {
		n.sync()
		n.clock.Add(time.Second)
	}
	cs := n.cp.get(string(p.UID)).Status.ContainerStatuses
	if len(cs) != 1 || cs[0].State.Waiting == nil || cs[0].State.Waiting.Reason != "CrashLoopBackOff" {
		t.Fatalf("container status %+v, want waiting in CrashLoopBackOff", cs)
	}
	if cs[0].LastTerminationState.Terminated == nil || cs[0].LastTerminationState.Terminated.ExitCode != 1 {
		t.Errorf("last state %+v, want terminated with exit code 1", cs[0].LastTerminationState)
	}
}

func TestCrashingPodRunsThenCrashes(t *testing.T) {
	n := newSimNode(t, Behaviour{CrashFraction: 1, CrashAfter: 30 * time.Second})
	p := testPod("a", corev1.RestartPolicyAlways)
	n.cp.put(p)
	n.sync()
	n.sync()
	if got := n.cp.get(string(p.UID)); got.Status.Phase != corev1.PodRunning || condition(got, corev1.PodReady) != corev1.ConditionTrue {
		t.Fatalf("before CrashAfter: phase %q, Ready %q; want Running and Ready", got.Status.Phase, condition(got, corev1.PodReady))
	}
	n.clock.Add(31 * time.Second)
	n.sync()
	cs := n.cp.get(string(p.UID)).Status.ContainerStatuses
	if len(cs) != 1 || cs[0].RestartCount == 0 && (cs[0].State.Terminated == nil || cs[0].State.Terminated.ExitCode != 1) {
		t.Fatalf("after CrashAfter: container status %+v, want its exit 1 seen", cs)
	}
}

func TestTerminatingPodIsFinalized(t *testing.T) {
	n := newSimNode(t, Behaviour{})
	p := testPod("a", corev1.RestartPolicyAlways)
	n.cp.put(p)
	n.sync()
	n.sync()
	deleting := n.cp.get(string(p.UID))
	now := metav1.NewTime(n.clock.Now())
	grace := int64(30)
	deleting.DeletionTimestamp, deleting.DeletionGracePeriodSeconds = &now, &grace
	n.cp.put(deleting)
	testkit.Eventually(t, 30*time.Second, "the terminating pod finalized", func() error {
		n.sync()
		if n.cp.get(string(p.UID)) != nil {
			return fmt.Errorf("pod still there")
		}
		return nil
	})
	if len(n.cp.finalized) != 1 {
		t.Errorf("finalized %v, want the pod once", n.cp.finalized)
	}
}

func TestSlowStartWaitsAndHonoursCancel(t *testing.T) {
	rt := NewRuntime(Behaviour{SlowFraction: 1, SlowStart: time.Hour}, func(context.Context) (string, error) { return testCIDR, nil }, nil)
	id, err := rt.CreatePod(context.Background(), agent.PodConfig{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rt.RunContainer(ctx, agent.ContainerConfig{Pod: id, Name: "c"}); err == nil {
		t.Fatal("a slow start under a cancelled context succeeded")
	}
	pods, _ := rt.List(context.Background())
	if len(pods) != 1 || len(pods[0].Containers) != 0 {
		t.Errorf("after a cancelled slow start: %+v, want the pod without containers", pods)
	}
}
