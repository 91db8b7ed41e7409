package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// hostReportVolume is a hostPath report directory: it outlives the pod, so
// a test can read what a process wrote while it was being terminated.
func hostReportVolume(t *testing.T) corev1.Volume {
	dir := filepath.Join(t.TempDir(), "report")
	typ := corev1.HostPathDirectoryOrCreate
	return corev1.Volume{Name: "report", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &typ}}}
}

func lines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// Graceful deletion: SIGTERM reaches the process, a process that ignores it
// is killed when the grace period ends, the last status shows the containers
// terminated, and the pod is finalized — also when the agent is restarted
// in the middle of it.
func TestPodmanGracefulTermination(t *testing.T) {
	requirePodman(t)
	cp := newFakeControlPlane()
	report := hostReportVolume(t)
	dir := report.HostPath.Path
	polite := testPod("polite", "44444444-aaaa-4000-8000-000000000001", testContainer("c"))
	polite.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{
		PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/testprog", "touch", "/report/poststart"}}},
		PreStop:   &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/testprog", "touch", "/report/prestop"}}},
	}
	stubborn := testPod("stubborn", "44444444-aaaa-4000-8000-000000000002", testContainer("s", corev1.EnvVar{Name: "IGNORE_SIGTERM", Value: "1"}))
	grace := int64(3)
	stubborn.Spec.TerminationGracePeriodSeconds = &grace
	for _, p := range []*corev1.Pod{polite, stubborn} {
		p.Spec.Volumes = []corev1.Volume{report}
		cp.putPod(p)
	}
	ag := startAgent(t, cp, t.TempDir())
	waitStatus(t, cp, "polite", 60*time.Second, "polite running", allRunning(1))
	waitStatus(t, cp, "stubborn", 60*time.Second, "stubborn running", allRunning(1))

	cp.deleteGracefully("default", "polite", time.Now())
	eventually(t, 30*time.Second, "polite finalized", func() (bool, string) { return cp.isFinalized("default", "polite"), "not yet" })
	if n := lines(filepath.Join(dir, "c.sigterm")); n != 1 {
		t.Errorf("polite: the process saw SIGTERM %d times, want 1", n)
	}
	// The hooks ran: postStart after the start, preStop before SIGTERM.
	post, pre, term := firstLine(filepath.Join(dir, "poststart")), firstLine(filepath.Join(dir, "prestop")), firstLine(filepath.Join(dir, "c.sigterm"))
	preT, err1 := time.Parse(time.RFC3339Nano, pre)
	termT, err2 := time.Parse(time.RFC3339Nano, term)
	if post == "" || err1 != nil || err2 != nil || !preT.Before(termT) {
		t.Errorf("hooks: postStart at %q, preStop at %q, SIGTERM at %q; want both hooks, preStop before SIGTERM", post, pre, term)
	}
	st, ok := cp.terminatedStatus("default", "polite")
	if !ok || st.ContainerStatuses[0].State.Terminated.ExitCode != 0 || st.Phase != corev1.PodSucceeded {
		t.Errorf("polite's last status should show its container terminated with exit code 0 (phase Succeeded): %+v", st)
	}

	// The stubborn one: the agent is stopped once SIGTERM was delivered and
	// a new agent finishes the job from the pod's deletionTimestamp.
	cp.deleteGracefully("default", "stubborn", time.Now())
	eventually(t, 30*time.Second, "stubborn got SIGTERM", func() (bool, string) {
		return lines(filepath.Join(dir, "s.sigterm")) >= 1, "no SIGTERM yet"
	})
	ag.stop()
	ag2 := startAgent(t, cp, t.TempDir())
	eventually(t, 30*time.Second, "stubborn finalized by the new agent", func() (bool, string) {
		return cp.isFinalized("default", "stubborn"), "not yet"
	})
	st, ok = cp.terminatedStatus("default", "stubborn")
	if !ok || st.ContainerStatuses[0].State.Terminated.ExitCode != 137 {
		t.Errorf("stubborn's last status should show it killed (exit code 137): %+v", st)
	}
	if n := len(podmanContainers(t, ag2.rt, string(stubborn.UID))); n != 0 {
		t.Errorf("%d containers of the finalized pod are left in Podman", n)
	}
	evs := strings.Join(cp.eventsFor("stubborn"), "\n")
	if !strings.Contains(evs, "Killing: Stopping container s") {
		t.Errorf("no Killing event: %s", evs)
	}
}

// Probes against a real container: an exec readiness probe follows a file,
// an httpGet liveness probe on a closed port restarts the container.
func TestPodmanProbes(t *testing.T) {
	requirePodman(t)
	cp := newFakeControlPlane()
	dataDir := t.TempDir()
	ready := testContainer("r")
	ready.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/testprog", "check", "/report/ready"}}},
		PeriodSeconds: 1, FailureThreshold: 1}
	readyPod := testPod("ready", "55555555-aaaa-4000-8000-000000000001", ready)
	readyPod.Spec.Volumes = []corev1.Volume{reportVolume()}
	live := testContainer("l")
	live.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 1, FailureThreshold: 2}
	livePod := testPod("live", "55555555-aaaa-4000-8000-000000000002", live)
	livePod.Spec.Volumes = []corev1.Volume{reportVolume()}
	cp.putPod(readyPod)
	cp.putPod(livePod)
	startAgent(t, cp, dataDir)

	notReady := func(st corev1.PodStatus) bool {
		return st.Phase == corev1.PodRunning && len(st.ContainerStatuses) == 1 && st.ContainerStatuses[0].State.Running != nil && !st.ContainerStatuses[0].Ready
	}
	waitStatus(t, cp, "ready", 30*time.Second, "running but not ready (no /report/ready)", notReady)
	if err := os.WriteFile(filepath.Join(volumeDir(dataDir, readyPod, "report"), "ready"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, cp, "ready", 30*time.Second, "ready once /report/ready exists", allRunning(1))
	if st.Conditions[3].Type != corev1.PodReady || st.Conditions[3].Status != corev1.ConditionTrue {
		t.Errorf("Ready condition: %+v", st.Conditions[3])
	}
	os.Remove(filepath.Join(volumeDir(dataDir, readyPod, "report"), "ready"))
	waitStatus(t, cp, "ready", 30*time.Second, "not ready again", notReady)

	// testprog listens on nothing: the liveness probe fails, the container is killed and restarted.
	st = waitStatus(t, cp, "live", 60*time.Second, "restarted by its liveness probe", func(st corev1.PodStatus) bool {
		return len(st.ContainerStatuses) == 1 && st.ContainerStatuses[0].RestartCount >= 1
	})
	evs := strings.Join(cp.eventsFor("live"), "\n")
	for _, want := range []string{"Killing: Container l failed liveness probe, will be restarted", "Unhealthy: Liveness probe failed: Get"} {
		if !strings.Contains(evs, want) {
			t.Errorf("events lack %q:\n%s", want, evs)
		}
	}
	if n := countStarts(dataDir, livePod, "l"); n < 2 {
		t.Errorf("l started %d times, want at least 2", n)
	}
}
