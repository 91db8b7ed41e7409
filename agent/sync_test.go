package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// pod builds a desired pod with containers named by names, image demo:v1.
func pod(name, uid string, policy corev1.RestartPolicy, names ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(uid)},
		Spec: corev1.PodSpec{NodeName: "n1", RestartPolicy: policy}}
	for _, n := range names {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n, Image: "demo:v1"})
	}
	return p
}

// running and exited build observed containers made from p's spec.
func running(p *corev1.Pod, name string, attempt int) ObservedContainer {
	c := ctr(p, name, attempt)
	c.State, c.StartedAt = "running", t0.Add(-time.Minute)
	return c
}

func exited(p *corev1.Pod, name string, attempt int, code int32, finishedAgo time.Duration) ObservedContainer {
	c := ctr(p, name, attempt)
	c.State, c.ExitCode = "exited", code
	c.FinishedAt = t0.Add(-finishedAgo)
	c.StartedAt = c.FinishedAt.Add(-2 * time.Second)
	return c
}

func ctr(p *corev1.Pod, name string, attempt int) ObservedContainer {
	var hash string
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Name == name {
			hash = containerSpecHash(&p.Spec.Containers[i])
		}
	}
	return ObservedContainer{ID: fmt.Sprintf("%s-%s-%d", p.Name, name, attempt), Name: name, Attempt: attempt,
		SpecHash: hash, Image: "demo:v1", ImageID: "sha256:1111", State: "created", Created: t0.Add(-time.Hour)}
}

func observedPod(p *corev1.Pod, cs ...ObservedContainer) ObservedPod {
	return ObservedPod{ID: "podman-" + p.Name, Name: podmanPodName(p), Key: podKey(p), UID: string(p.UID),
		Created: t0.Add(-time.Hour), IP: "10.88.0.5", Grace: 30 * time.Second, Containers: cs}
}

type syncCase struct {
	name     string
	desired  []*corev1.Pod
	observed []ObservedPod
}

func syncCases() []syncCase {
	web := pod("web", "u-web", corev1.RestartPolicyAlways, "app", "side")
	always := pod("always", "u-always", corev1.RestartPolicyAlways, "c")
	onFailure := pod("onfailure", "u-onfailure", corev1.RestartPolicyOnFailure, "c")
	never := pod("never", "u-never", corev1.RestartPolicyNever, "c")
	changed := pod("web", "u-web", corev1.RestartPolicyAlways, "app", "side")
	changed.Spec.Containers[0].Image = "demo:v2"
	succeeded := pod("job", "u-job", corev1.RestartPolicyOnFailure, "c")
	succeeded.Status.Phase = corev1.PodSucceeded
	deleting := pod("web", "u-web", corev1.RestartPolicyAlways, "app", "side")
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}
	newUID := pod("web", "u-web-2", corev1.RestartPolicyAlways, "app", "side")
	longRun := exited(always, "c", 5, 1, time.Second)
	longRun.StartedAt = longRun.FinishedAt.Add(-11 * time.Minute)
	withFailure := func(p *corev1.Pod, hash string, ago time.Duration, count int) ObservedPod {
		op := observedPod(p)
		op.Failures = map[string]StartFailure{"c": {Reason: "ErrImagePull", At: t0.Add(-ago), Count: count, SpecHash: hash}}
		return op
	}
	hashC := containerSpecHash(&always.Spec.Containers[0])
	grace := int64(30)
	deletedAgo := func(ago time.Duration) *corev1.Pod {
		p := web.DeepCopy()
		p.DeletionTimestamp = &metav1.Time{Time: t0.Add(-ago)}
		p.DeletionGracePeriodSeconds = &grace
		return p
	}
	withInit := pod("init", "u-init", corev1.RestartPolicyAlways, "app")
	withInit.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "demo:v1"}, {Name: "seed", Image: "demo:v1"}}
	initNever := withInit.DeepCopy()
	initNever.Spec.RestartPolicy = corev1.RestartPolicyNever
	initCtr := func(p *corev1.Pod, name string, attempt int, code int32, done bool) ObservedContainer {
		var spec corev1.Container
		for _, c := range p.Spec.InitContainers {
			if c.Name == name {
				spec = c
			}
		}
		c := ObservedContainer{ID: fmt.Sprintf("%s-%s-%d", p.Name, name, attempt), Name: name, Attempt: attempt,
			SpecHash: containerSpecHash(&spec), Image: "demo:v1", State: "running", StartedAt: t0.Add(-time.Minute)}
		if done {
			c.State, c.ExitCode, c.FinishedAt = "exited", code, t0.Add(-time.Second)
		}
		return c
	}
	always2 := corev1.ContainerRestartPolicyAlways
	withSidecar := pod("sidecar", "u-sidecar", corev1.RestartPolicyNever, "app")
	withSidecar.Spec.InitContainers = []corev1.Container{{Name: "proxy", Image: "demo:v1", RestartPolicy: &always2}, {Name: "migrate", Image: "demo:v1"}}
	unhealthy := observedPod(always, running(always, "c", 0))
	unhealthy.Probes = map[string]ProbeResults{running(always, "c", 0).ID: {Unhealthy: "Liveness probe failed: HTTP probe failed with statuscode: 500"}}
	probed := observedPod(always, running(always, "c", 0))
	probed.Probes = map[string]ProbeResults{running(always, "c", 0).ID: {Ready: false}}
	issued := func(op ObservedPod, started []string, stopped ...string) ObservedPod {
		op.Issued = Issued{Started: map[string]bool{}, Stopped: map[string]bool{}}
		for _, n := range started {
			op.Issued.Started[n] = true
		}
		for _, id := range stopped {
			op.Issued.Stopped[id] = true
		}
		return op
	}
	killed := exited(always, "c", 0, 137, time.Second)
	oomKilled := killed
	oomKilled.OOMKilled = true
	handStopped := exited(always, "c", 3, 0, time.Second) // exits 0 on SIGTERM; in backoff were it a crash
	handStopped.StoppedOutside = true
	cleanExit := exited(always, "c", 3, 0, time.Second)
	settling := exited(always, "c", 0, 0, 0)
	settling.Settling = true
	drift := []syncCase{
		{"drift: podman stop of a program that exits 0 (Podman reports the stop): restored at once, drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, handStopped), []string{"c"})}},
		{"drift: the same exit 0 without a stop: a restart in backoff, no drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, cleanExit), []string{"c"})}},
		{"drift: died a moment ago, stop or crash not known yet: wait", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, settling), []string{"c"})}},
		{"drift: a stop the agent asked for, exit 0: no drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, handStopped), []string{"c"}, handStopped.ID)}},
		{"drift: container the agent started is gone (podman rm): restore, drift", []*corev1.Pod{web}, []ObservedPod{issued(observedPod(web, running(web, "app", 0)), []string{"app", "side"})}},
		{"drift: container never started by this agent is missing: start, no drift", []*corev1.Pod{web}, []ObservedPod{issued(observedPod(web, running(web, "app", 0)), []string{"app"})}},
		{"drift: SIGKILL the agent did not send (podman stop -t 0): restart, drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, killed), []string{"c"})}},
		{"drift: SIGTERM the agent did not send (podman stop): restart, drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, exited(always, "c", 0, 143, time.Second)), []string{"c"})}},
		{"drift: SIGKILL the agent sent (probe kill): restart, no drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, killed), []string{"c"}, killed.ID)}},
		{"drift: OOM killed (exit 137): a crash, no drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, oomKilled), []string{"c"})}},
		{"drift: crashed with exit 1: no drift", []*corev1.Pod{always}, []ObservedPod{issued(observedPod(always, exited(always, "c", 0, 1, time.Second)), []string{"c"})}},
	}
	return append(drift, []syncCase{
		{"new pod: create it and start every container", []*corev1.Pod{web}, nil},
		{"healthy pod: nothing to do", []*corev1.Pod{web}, []ObservedPod{observedPod(web, running(web, "app", 0), running(web, "side", 0))}},
		{"one container missing: start only it", []*corev1.Pod{web}, []ObservedPod{observedPod(web, running(web, "app", 0))}},
		{"Always, first exit: restart at once", []*corev1.Pod{always}, []ObservedPod{observedPod(always, exited(always, "c", 0, 0, time.Second))}},
		{"Always, third exit 5s ago: back off (20s)", []*corev1.Pod{always}, []ObservedPod{observedPod(always, exited(always, "c", 1, 0, 50*time.Second), exited(always, "c", 2, 1, 5*time.Second))}},
		{"Always, third exit 25s ago: restart, drop attempt 0", []*corev1.Pod{always}, []ObservedPod{observedPod(always, exited(always, "c", 0, 1, 90*time.Second), exited(always, "c", 1, 1, 50*time.Second), exited(always, "c", 2, 1, 25*time.Second))}},
		{"Always, ran 11 minutes: backoff reset", []*corev1.Pod{always}, []ObservedPod{observedPod(always, longRun)}},
		{"OnFailure, exit 0: done", []*corev1.Pod{onFailure}, []ObservedPod{observedPod(onFailure, exited(onFailure, "c", 0, 0, time.Second))}},
		{"OnFailure, exit 1: restart", []*corev1.Pod{onFailure}, []ObservedPod{observedPod(onFailure, exited(onFailure, "c", 0, 1, time.Second))}},
		{"Never, exit 1: nothing", []*corev1.Pod{never}, []ObservedPod{observedPod(never, exited(never, "c", 0, 1, time.Second))}},
		{"pod gone from the store: remove it", nil, []ObservedPod{observedPod(web, running(web, "app", 0))}},
		{"pod being deleted just now: terminate with its whole grace period", []*corev1.Pod{deleting}, []ObservedPod{observedPod(web, running(web, "app", 0), running(web, "side", 0))}},
		{"same name, new uid: remove the old, create the new", []*corev1.Pod{newUID}, []ObservedPod{observedPod(web, running(web, "app", 0), running(web, "side", 0))}},
		{"image changed: stop and start the next attempt", []*corev1.Pod{changed}, []ObservedPod{observedPod(web, running(web, "app", 0), running(web, "side", 0))}},
		{"created but never started: replace it", []*corev1.Pod{always}, []ObservedPod{observedPod(always, ctr(always, "c", 0))}},
		{"start failed 5s ago: back off", []*corev1.Pod{always}, []ObservedPod{withFailure(always, hashC, 5*time.Second, 1)}},
		{"start failed 15s ago: retry", []*corev1.Pod{always}, []ObservedPod{withFailure(always, hashC, 15*time.Second, 1)}},
		{"start failed for an older spec: retry at once", []*corev1.Pod{always}, []ObservedPod{withFailure(always, "other", time.Second, 3)}},
		{"Succeeded pod: never touched", []*corev1.Pod{succeeded}, []ObservedPod{observedPod(succeeded, exited(succeeded, "c", 0, 0, time.Second))}},
		{"deleted 20s ago, grace 30s (agent restarted mid-termination): terminate with 10s left", []*corev1.Pod{deletedAgo(20 * time.Second)}, []ObservedPod{observedPod(web, running(web, "app", 0))}},
		{"deleted 40s ago, grace 30s: terminate at once (SIGKILL)", []*corev1.Pod{deletedAgo(40 * time.Second)}, []ObservedPod{observedPod(web, running(web, "app", 0))}},
		{"deleted, nothing in Podman: finalize", []*corev1.Pod{deletedAgo(time.Second)}, nil},
		{"liveness probe failed: stop the container", []*corev1.Pod{always}, []ObservedPod{unhealthy}},
		{"readiness probe failing: nothing to do", []*corev1.Pod{always}, []ObservedPod{probed}},
		{"init containers: only the first starts", []*corev1.Pod{withInit}, nil},
		{"init: first running, nothing else starts", []*corev1.Pod{withInit}, []ObservedPod{observedPod(withInit, initCtr(withInit, "migrate", 0, 0, false))}},
		{"init: first succeeded, start the second", []*corev1.Pod{withInit}, []ObservedPod{observedPod(withInit, initCtr(withInit, "migrate", 0, 0, true))}},
		{"init: second failed (pod Always = OnFailure): restart it", []*corev1.Pod{withInit}, []ObservedPod{observedPod(withInit, initCtr(withInit, "migrate", 0, 0, true), initCtr(withInit, "seed", 0, 1, true))}},
		{"init: all succeeded, start the app", []*corev1.Pod{withInit}, []ObservedPod{observedPod(withInit, initCtr(withInit, "migrate", 0, 0, true), initCtr(withInit, "seed", 0, 0, true))}},
		{"init: failed with restartPolicy Never: nothing", []*corev1.Pod{initNever}, []ObservedPod{observedPod(initNever, initCtr(initNever, "migrate", 0, 2, true))}},
		{"init: app already started, init containers gone: not rerun", []*corev1.Pod{withInit}, []ObservedPod{observedPod(withInit, running(withInit, "app", 0))}},
		{"sidecar: starts first, the next init container waits", []*corev1.Pod{withSidecar}, nil},
		{"sidecar running: the next init container starts", []*corev1.Pod{withSidecar}, []ObservedPod{observedPod(withSidecar, initCtr(withSidecar, "proxy", 0, 0, false))}},
		{"sidecar running, init done: the app starts", []*corev1.Pod{withSidecar}, []ObservedPod{observedPod(withSidecar, initCtr(withSidecar, "proxy", 0, 0, false), initCtr(withSidecar, "migrate", 0, 0, true))}},
		{"sidecar exited beside the app (pod Never): restarted anyway", []*corev1.Pod{withSidecar}, []ObservedPod{observedPod(withSidecar, initCtr(withSidecar, "proxy", 0, 2, true), initCtr(withSidecar, "migrate", 0, 0, true), running(withSidecar, "app", 0))}},
		{"unknown container in the pod: remove it", []*corev1.Pod{always}, []ObservedPod{observedPod(always, running(always, "c", 0), running(web, "app", 0))}},
	}...)
}

func TestSync(t *testing.T) {
	var b strings.Builder
	for _, tc := range syncCases() {
		fmt.Fprintf(&b, "## %s\n", tc.name)
		actions := Sync(tc.desired, tc.observed, t0)
		for _, a := range actions {
			fmt.Fprintf(&b, "%s\n", a)
		}
		if len(actions) == 0 {
			b.WriteString("(no actions)\n")
		}
		// Idempotent and pure: the same inputs give the same actions.
		if again := Sync(tc.desired, tc.observed, t0); fmt.Sprint(again) != fmt.Sprint(actions) {
			t.Errorf("%s: Sync is not deterministic", tc.name)
		}
		b.WriteString("\n")
	}
	testkit.GoldenString(t, "testdata/sync.golden", b.String())
}

func TestBackoffDelay(t *testing.T) {
	want := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 300 * time.Second, 300 * time.Second}
	for n, w := range want {
		if got := backoffDelay(n); got != w {
			t.Errorf("backoffDelay(%d) = %s, want %s", n, got, w)
		}
	}
}

func BenchmarkSync100Pods(b *testing.B) {
	var desired []*corev1.Pod
	var observed []ObservedPod
	for i := 0; i < 100; i++ {
		p := pod(fmt.Sprintf("p%d", i), fmt.Sprintf("u%d", i), corev1.RestartPolicyAlways, "a", "b")
		desired = append(desired, p)
		observed = append(observed, observedPod(p, running(p, "a", 0), running(p, "b", 0)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(Sync(desired, observed, t0)) != 0 {
			b.Fatal("healthy pods need no actions")
		}
	}
}
