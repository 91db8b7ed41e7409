package agent

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestServiceHealth(t *testing.T) {
	gone, slow := errors.New("no such file"), errors.New("timeout")
	for _, tc := range []struct {
		name           string
		sockErr, ping  error
		failures       int
		restart        bool
		failuresAfter  int
		reasonContains string
	}{
		{"healthy", nil, nil, 0, false, 0, ""},
		{"healthy resets the count", nil, nil, 1, false, 0, ""},
		{"socket gone", gone, nil, 0, true, 0, "socket is gone"},
		{"first failed ping", nil, slow, 0, false, 1, ""},
		{"second failed ping", nil, slow, 1, true, 0, "did not answer 2 pings"},
	} {
		restart, why, n := serviceHealth(tc.sockErr, tc.ping, tc.failures)
		if restart != tc.restart || n != tc.failuresAfter || !strings.Contains(why, tc.reasonContains) {
			t.Errorf("%s: restart %v (%q), failures %d; want %v, %d", tc.name, restart, why, n, tc.restart, tc.failuresAfter)
		}
	}
}

func TestRuntimeCondition(t *testing.T) {
	up := RuntimeCondition("unix:///d/podman.sock", nil, t0)
	if up.Status != corev1.ConditionTrue || up.Type != corev1.NodeReady {
		t.Errorf("healthy runtime: %+v", up)
	}
	down := RuntimeCondition("unix:///d/podman.sock", errors.New("dial unix /d/podman.sock: connect: no such file or directory"), t0)
	if down.Status != corev1.ConditionFalse || down.Reason != ReasonRuntimeUnhealthy ||
		!strings.Contains(down.Message, "unix:///d/podman.sock") || !strings.Contains(down.Message, "no such file") {
		t.Errorf("runtime down: %+v", down)
	}
}

// pingUnixSocket against a real socket: OK, a wrong answer, no socket.
func TestPingUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "p.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	answer := "OK"
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_ping" {
			w.Write([]byte(answer))
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	if err := pingUnixSocket(context.Background(), sock, 5*time.Second); err != nil {
		t.Errorf("ping: %v", err)
	}
	answer = "nope"
	if err := pingUnixSocket(context.Background(), sock, 5*time.Second); err == nil {
		t.Errorf("a wrong answer passed the ping")
	}
	if err := pingUnixSocket(context.Background(), sock+".gone", 5*time.Second); err == nil {
		t.Errorf("a missing socket passed the ping")
	}
}

// pingRuntime is the fake runtime with a settable ping result.
type pingRuntime struct {
	*fakeRuntime
	mu  chan struct{}
	err error
}

func (r *pingRuntime) set(err error) { r.mu <- struct{}{}; r.err = err; <-r.mu }
func (r *pingRuntime) Ping(context.Context) error {
	r.mu <- struct{}{}
	defer func() { <-r.mu }()
	return r.err
}
func (r *pingRuntime) Endpoint() string { return "unix:///test/podman.sock" }

func (f *fakeControlPlane) ReportNodeReady(_ context.Context, node string, c corev1.NodeCondition) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.nodes[node]
	if n == nil {
		return ErrNotFound
	}
	n.Status.Conditions = []corev1.NodeCondition{c}
	return nil
}

func (f *fakeControlPlane) readyCondition(node string) (corev1.NodeCondition, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.nodes[node]
	if n == nil {
		return corev1.NodeCondition{}, f.heartbeats
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c, f.heartbeats
		}
	}
	return corev1.NodeCondition{}, f.heartbeats
}

// A runtime that stops answering makes the node NotReady with the reason;
// when it answers again, heartbeats (Ready) resume and pending pods start.
func TestAgentReportsRuntimeDownAsNotReady(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp := newFakeControlPlane()
	rt := &pingRuntime{fakeRuntime: newFakeRuntime(clock.Now), mu: make(chan struct{}, 1)}
	a := newLoopAgent(t, cp, rt, clock)
	a.opts.RuntimeCheckInterval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitUntil(t, "node registered", func() bool { c, _ := cp.readyCondition("n1"); return c.Status == corev1.ConditionTrue })
	rt.set(errors.New("dial unix /test/podman.sock: connect: no such file or directory"))
	waitUntil(t, "node NotReady with the runtime's reason", func() bool {
		c, _ := cp.readyCondition("n1")
		return c.Status == corev1.ConditionFalse && c.Reason == ReasonRuntimeUnhealthy && strings.Contains(c.Message, "no such file")
	})
	// While down, heartbeats do not flip it back.
	_, beats := cp.readyCondition("n1")
	time.Sleep(50 * time.Millisecond) // several heartbeat intervals; the assertion is on state, not time
	if c, now := cp.readyCondition("n1"); c.Status != corev1.ConditionFalse || now != beats {
		t.Errorf("while the runtime is down: %+v, %d heartbeats (were %d)", c, now, beats)
	}
	rt.set(nil)
	waitUntil(t, "heartbeats again", func() bool { _, n := cp.readyCondition("n1"); return n > beats })
	cp.putPod(pod("late", "u-late", corev1.RestartPolicyAlways, "app"))
	waitUntil(t, "the pending pod runs", func() bool { return cp.pod("default", "late").Status.Phase == corev1.PodRunning })
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, what, func() error {
		if !ok() {
			return errors.New("not yet")
		}
		return nil
	})
}
