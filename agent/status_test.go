package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

type statusCase struct {
	name     string
	pod      *corev1.Pod
	observed *ObservedPod
	phase    corev1.PodPhase
}

func statusCases() []statusCase {
	web := pod("web", "u-web", corev1.RestartPolicyAlways, "app", "side")
	always := pod("always", "u-always", corev1.RestartPolicyAlways, "c")
	onFailure := pod("onfailure", "u-onfailure", corev1.RestartPolicyOnFailure, "c")
	never := pod("never", "u-never", corev1.RestartPolicyNever, "c", "d")
	op := func(p *corev1.Pod, cs ...ObservedContainer) *ObservedPod { o := observedPod(p, cs...); return &o }
	pulling := op(always)
	pulling.Failures = map[string]StartFailure{"c": {Reason: "ErrImagePull", Message: "pulling image demo:v1: connection refused", At: t0.Add(-time.Second), Count: 1}}
	backingOff := op(always)
	backingOff.Failures = map[string]StartFailure{"c": {Reason: "ErrImagePull", Message: "pulling image demo:v1: connection refused", At: t0.Add(-time.Second), Count: 2}}
	wasReady := web.DeepCopy()
	wasReady.Status.StartTime = &metav1.Time{Time: t0.Add(-2 * time.Hour)}
	wasReady.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0.Add(-2 * time.Hour))}}
	withProbes := func(p *corev1.Pod, r ProbeResults) *ObservedPod {
		o := op(p, running(p, "c", 0))
		o.Probes = map[string]ProbeResults{running(p, "c", 0).ID: r}
		return o
	}
	readiness := always.DeepCopy()
	readiness.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}
	startup := always.DeepCopy()
	startup.Spec.Containers[0].StartupProbe = readiness.Spec.Containers[0].ReadinessProbe
	terminating := always.DeepCopy()
	terminating.DeletionTimestamp = &metav1.Time{Time: t0.Add(-5 * time.Second)}
	withInit := pod("init", "u-init", corev1.RestartPolicyNever, "app")
	withInit.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "demo:v1"}}
	initRunning := ctr(withInit, "app", 0)
	initRunning.Name, initRunning.ID, initRunning.State, initRunning.StartedAt = "migrate", "init-migrate-0", "running", t0.Add(-time.Second)
	initFailedCtr := initRunning
	initFailedCtr.State, initFailedCtr.ExitCode, initFailedCtr.FinishedAt = "exited", 3, t0
	return []statusCase{
		{"init container running: Pending, app PodInitializing", withInit, op(withInit, initRunning), corev1.PodPending},
		{"init container failed, restartPolicy Never: Failed", withInit, op(withInit, initFailedCtr), corev1.PodFailed},
		{"readiness probe not passed yet: running, not ready", readiness, withProbes(readiness, ProbeResults{}), corev1.PodRunning},
		{"readiness probe passed: ready", readiness, withProbes(readiness, ProbeResults{Ready: true}), corev1.PodRunning},
		{"startup probe not passed: not started, not ready", startup, withProbes(startup, ProbeResults{}), corev1.PodRunning},
		{"terminating, containers stopped by SIGTERM: terminated, Failed", terminating, op(terminating, exited(terminating, "c", 0, 143, time.Second)), corev1.PodFailed},
		{"nothing in Podman yet", web, nil, corev1.PodPending},
		{"pod created, one container running", web, op(web, running(web, "app", 0)), corev1.PodPending},
		{"all running", web, op(web, running(web, "app", 0), running(web, "side", 0)), corev1.PodRunning},
		{"ready before: lastTransitionTime and startTime kept", wasReady, op(web, running(web, "app", 0), running(web, "side", 0)), corev1.PodRunning},
		{"crash loop: waiting with lastState", always, op(always, exited(always, "c", 0, 1, 60*time.Second), exited(always, "c", 1, 2, time.Second)), corev1.PodRunning},
		{"restarted and running again", always, op(always, exited(always, "c", 0, 1, 60*time.Second), running(always, "c", 1)), corev1.PodRunning},
		{"OnFailure, exit 0: Succeeded", onFailure, op(onFailure, exited(onFailure, "c", 0, 0, time.Second)), corev1.PodSucceeded},
		{"Never, one failed: Failed", never, op(never, exited(never, "c", 0, 0, time.Second), exited(never, "d", 0, 7, time.Second)), corev1.PodFailed},
		{"Never, one still running: Running", never, op(never, exited(never, "c", 0, 0, time.Second), running(never, "d", 0)), corev1.PodRunning},
		{"image pull failed", always, pulling, corev1.PodPending},
		{"image pull backing off", always, backingOff, corev1.PodPending},
	}
}

func TestStatus(t *testing.T) {
	var b strings.Builder
	for _, tc := range statusCases() {
		st := Status(tc.pod, tc.observed, t0, "192.0.2.1")
		if st.Phase != tc.phase {
			t.Errorf("%s: phase %s, want %s", tc.name, st.Phase, tc.phase)
		}
		// Writing the status back and computing it again gives an equal
		// status: the agent writes only changes.
		again := tc.pod.DeepCopy()
		again.Status = st
		if st2 := Status(again, tc.observed, t0.Add(3*time.Second), "192.0.2.1"); !equality.Semantic.DeepEqual(st, st2) {
			t.Errorf("%s: status is not stable over time:\n%v\n%v", tc.name, st, st2)
		}
		y, err := yaml.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "## %s\n%s\n", tc.name, y)
	}
	testkit.GoldenString(t, "testdata/status.golden", b.String())
}

func TestNodeObject(t *testing.T) {
	n := NodeObject("n1", HostInfo{LogPort: 10250, LogHost: "127.0.0.1", Hostname: "h1", CPUs: 2, MemoryBytes: 4 << 30, IP: "192.0.2.1", KernelVersion: "6.1.0",
		OSImage: "Debian GNU/Linux 12 (bookworm)", RuntimeVersion: "podman://4.3.1"}, "v0.1.0", t0)
	y, err := yaml.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	testkit.GoldenString(t, "testdata/node.golden", string(y))
}

func TestReadHostInfo(t *testing.T) {
	h := ReadHostInfo()
	if h.CPUs < 1 || h.MemoryBytes <= 0 {
		t.Errorf("host info: %d CPUs, %d bytes of memory; want positive values from the kernel", h.CPUs, h.MemoryBytes)
	}
}
