package main

// End-to-end tests of pod behaviour on the agent with real Podman: restart
// backoff and CrashLoopBackOff, liveness and readiness probes, memory limits
// and OOMKilled, init containers, `reconcile logs`, graceful termination.
// All pods run in one cluster at once, so the waits overlap.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

const helloV1 = "localhost/reconcile-hello:v1"

// helloPod is a bare Pod of the demo image; extra is indented YAML added to
// the container, spec adds to the pod spec.
func helloPod(name, env, extra, spec string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: e2e
spec:
%s  containers:
    - name: hello
      image: %s
      imagePullPolicy: IfNotPresent
      ports: [{name: http, containerPort: 8080}]
      env: [%s]
%s`, name, spec, helloV1, env, extra)
}

func podFiles(sigDir string) map[string]string {
	return map[string]string{
		"namespace.yaml": e2eNamespace,
		"crashy.yaml":    helloPod("crashy", `{name: EXIT_AFTER, value: 3s}, {name: EXIT_CODE, value: "1"}, {name: TERMINATION_MESSAGE, value: config missing}`, "", ""),
		"liveness.yaml": helloPod("liveness", `{name: FAIL_LIVE, value: "1"}`,
			"      livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1, failureThreshold: 2}\n", ""),
		"unready.yaml": helloPod("unready", `{name: FAIL_READY, value: "1"}`,
			"      readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1, failureThreshold: 1}\n", ""),
		"oom.yaml": helloPod("oom", `{name: ALLOC_MB, value: "256"}`,
			"      resources: {limits: {memory: 32Mi, cpu: 500m}}\n", "  restartPolicy: Never\n"),
		"init.yaml": helloPod("init", "", "", fmt.Sprintf(`  initContainers:
    - name: setup
      image: %s
      imagePullPolicy: IfNotPresent
      env: [{name: EXIT_AFTER, value: 1s}, {name: EXIT_CODE, value: "0"}]
`, helloV1)),
		"graceful.yaml": helloPod("graceful", `{name: SIGTERM_FILE, value: /sig/term}`,
			"      volumeMounts: [{name: sig, mountPath: /sig}]\n",
			fmt.Sprintf("  terminationGracePeriodSeconds: 20\n  volumes: [{name: sig, hostPath: {path: %s, type: DirectoryOrCreate}}]\n", sigDir)),
	}
}

func (c *cluster) pod(name string) (corev1.Pod, bool) {
	for _, p := range c.pods("e2e") {
		if p.Name == name {
			return p, true
		}
	}
	return corev1.Pod{}, false
}

func (c *cluster) events(object string) []corev1.Event {
	out, err := c.run("get", "events", "-n", "e2e", "-o", "json")
	if err != nil {
		c.t.Fatal(err)
	}
	var l struct{ Items []corev1.Event }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		c.t.Fatalf("decode events: %v\n%s", err, out)
	}
	var evs []corev1.Event
	for _, e := range l.Items {
		if e.InvolvedObject.Name == object {
			evs = append(evs, e)
		}
	}
	return evs
}

func hasEvent(evs []corev1.Event, reason, msgPart string) bool {
	for _, e := range evs {
		if e.Reason == reason && strings.Contains(e.Message, msgPart) {
			return true
		}
	}
	return false
}

func containerStatus(p corev1.Pod) corev1.ContainerStatus {
	if len(p.Status.ContainerStatuses) == 0 {
		return corev1.ContainerStatus{}
	}
	return p.Status.ContainerStatuses[0]
}

func TestE2EPodBehaviour(t *testing.T) {
	sigDir := t.TempDir()
	c := newCluster(t, podFiles(sigDir))

	t.Run("exit 1 restarts with growing delays and CrashLoopBackOff", func(t *testing.T) {
		var firstGap, secondGap time.Duration = -1, -1
		sawBackOff := false
		c.eventually(90*time.Second, "crashy restarted twice", func() error {
			p, _ := c.pod("crashy")
			cs := containerStatus(p)
			if cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" {
				sawBackOff = true
			}
			if cs.State.Running != nil && cs.LastTerminationState.Terminated != nil {
				gap := cs.State.Running.StartedAt.Sub(cs.LastTerminationState.Terminated.FinishedAt.Time)
				switch cs.RestartCount {
				case 1:
					firstGap = gap
				case 2:
					secondGap = gap
				}
			}
			if secondGap < 0 || !sawBackOff {
				return fmt.Errorf("restartCount %d, state %+v, saw CrashLoopBackOff %v", cs.RestartCount, cs.State, sawBackOff)
			}
			return nil
		})
		// Recorded container timestamps (whole seconds): the first restart is
		// at once, the second waits out the 10 s backoff.
		if firstGap > 3*time.Second || secondGap < 9*time.Second {
			t.Errorf("restart delays %s then %s, want about 0 then at least 10 s", firstGap, secondGap)
		}
		p, _ := c.pod("crashy")
		if term := containerStatus(p).LastTerminationState.Terminated; term == nil || term.ExitCode != 1 || term.Message != "config missing" || term.Reason != "Error" {
			t.Errorf("lastState.terminated: %+v, want exit code 1, reason Error, message from /dev/termination-log", term)
		}
		if p.Status.Phase != corev1.PodRunning {
			t.Errorf("crash-looping pod phase %s, want Running", p.Status.Phase)
		}

		// reconcile logs: the current container, and the previous one's last words.
		out, err := c.run("logs", "crashy", "-n", "e2e", "--previous")
		if err != nil || !strings.Contains(out, "listening on :8080") || !strings.Contains(out, "exiting with code 1") {
			t.Errorf("logs --previous: %q %v", out, err)
		}
		if out, err := c.run("logs", "crashy", "-n", "e2e", "-c", "hello", "--tail", "1"); err != nil || strings.Count(out, "\n") != 1 {
			t.Errorf("logs --tail 1: %q %v", out, err)
		}
		if _, err := c.run("logs", "crashy", "-n", "e2e", "-c", "nope"); err == nil || !strings.Contains(err.Error(), "container nope is not valid for pod crashy") {
			t.Errorf("logs of an unknown container: %v", err)
		}
	})

	t.Run("liveness probe failure restarts the container", func(t *testing.T) {
		c.eventually(60*time.Second, "liveness restarted with Unhealthy and Killing events", func() error {
			p, _ := c.pod("liveness")
			evs := c.events("liveness")
			if containerStatus(p).RestartCount < 1 || !hasEvent(evs, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500") ||
				!hasEvent(evs, "Killing", "failed liveness probe, will be restarted") {
				return fmt.Errorf("restartCount %d, events %d", containerStatus(p).RestartCount, len(evs))
			}
			return nil
		})
	})

	t.Run("readiness probe failure keeps the pod not Ready", func(t *testing.T) {
		c.eventually(60*time.Second, "unready probed several times and still not ready", func() error {
			p, _ := c.pod("unready")
			cs := containerStatus(p)
			var count int32
			for _, e := range c.events("unready") {
				if e.Reason == "Unhealthy" && strings.HasPrefix(e.Message, "Readiness probe failed") {
					count = e.Count
				}
			}
			if cs.State.Running == nil || count < 3 {
				return fmt.Errorf("state %+v, readiness failures %d", cs.State, count)
			}
			return nil
		})
		p, _ := c.pod("unready")
		cs := containerStatus(p)
		ready := corev1.ConditionUnknown
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady {
				ready = cond.Status
			}
		}
		if cs.Ready || ready != corev1.ConditionFalse || cs.RestartCount != 0 || p.Status.Phase != corev1.PodRunning {
			t.Errorf("unready: container ready %v, Ready condition %s, restarts %d, phase %s; want false, False, 0, Running", cs.Ready, ready, cs.RestartCount, p.Status.Phase)
		}
	})

	t.Run("over its memory limit the container is OOMKilled", func(t *testing.T) {
		c.eventually(60*time.Second, "oom terminated", func() error {
			p, _ := c.pod("oom")
			if containerStatus(p).State.Terminated == nil {
				return fmt.Errorf("state %+v", containerStatus(p).State)
			}
			return nil
		})
		p, _ := c.pod("oom")
		if term := containerStatus(p).State.Terminated; term.Reason != "OOMKilled" || term.ExitCode != 137 || p.Status.Phase != corev1.PodFailed {
			t.Errorf("oom: phase %s, terminated %+v; want Failed, OOMKilled, 137", p.Status.Phase, term)
		}
	})

	t.Run("init containers run to completion before the app", func(t *testing.T) {
		c.eventually(60*time.Second, "init pod running", func() error {
			p, _ := c.pod("init")
			if containerStatus(p).State.Running == nil || len(p.Status.InitContainerStatuses) != 1 {
				return fmt.Errorf("status %+v", p.Status)
			}
			return nil
		})
		p, _ := c.pod("init")
		init := p.Status.InitContainerStatuses[0].State.Terminated
		if init == nil || init.Reason != "Completed" || containerStatus(p).State.Running.StartedAt.Before(&init.FinishedAt) {
			t.Errorf("init container %+v, app started %v: want Completed before the app started", init, containerStatus(p).State.Running)
		}
	})

	t.Run("logs -f streams until interrupted", func(t *testing.T) {
		var out testkit.SyncBuffer
		cmd := exec.Command(env.bin, "logs", "-f", "unready", "-n", "e2e", "--server", c.server, "--config-file", c.adminConfig())
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c.eventually(20*time.Second, "logs -f printed the start line", func() error {
			if !strings.Contains(out.String(), "listening on :8080") {
				return fmt.Errorf("output so far %q", out.String())
			}
			return nil
		})
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("logs -f after Ctrl-C: %v", err)
		}
	})

	t.Run("graceful termination sends SIGTERM and finalizes the pod", func(t *testing.T) {
		c.commit("remove graceful", map[string]string{"graceful.yaml": ""})
		c.eventually(40*time.Second, "graceful gone from the store", func() error {
			if _, ok := c.pod("graceful"); ok {
				return fmt.Errorf("still there")
			}
			return nil
		})
		b, _ := os.ReadFile(filepath.Join(sigDir, "term"))
		if got := strings.TrimSpace(string(b)); got != "graceful terminated" {
			t.Errorf("SIGTERM file: %q, want one line from the graceful pod", got)
		}
		if !hasEvent(c.events("graceful"), "Killing", "Stopping container hello") {
			t.Errorf("no Killing event for graceful")
		}
	})
}
