package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// Lifecycle hooks (Kubernetes semantics): postStart runs right after a
// container started, and a failure kills the container (restartPolicy
// decides what follows); preStop runs before the container is stopped, and
// its time counts against the grace period: SIGTERM follows when it ends,
// SIGKILL still at the deadline.

// runHook runs one handler for a running container within timeout.
func (a *Agent) runHook(ctx context.Context, c *corev1.Container, containerID, podIP string, h *corev1.LifecycleHandler, timeout time.Duration) error {
	if timeout <= 0 {
		return fmt.Errorf("no time left in the grace period")
	}
	switch {
	case h.Exec != nil:
		ok, msg := runProbe(ctx, a.opts.Runtime, containerID, probeTarget{Exec: h.Exec.Command}, timeout)
		if !ok {
			return fmt.Errorf("%s", msg)
		}
	case h.HTTPGet != nil:
		t, err := resolveProbe(&corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: h.HTTPGet}}, c, podIP)
		if err != nil {
			return err
		}
		if ok, msg := runProbe(ctx, a.opts.Runtime, containerID, t, timeout); !ok {
			return fmt.Errorf("%s", msg)
		}
	case h.Sleep != nil:
		d := time.Duration(h.Sleep.Seconds) * time.Second
		if d > timeout {
			d = timeout
		}
		ctxwait.Sleep(ctx, d)
	}
	return nil
}

// preStop runs the preStop hooks of the pod's running containers at once,
// and returns what is left of grace when they are done.
func (a *Agent) preStop(ctx context.Context, pod *corev1.Pod, op *ObservedPod, only string, grace time.Duration) time.Duration {
	start := a.opts.Clock()
	var wg sync.WaitGroup
	for _, oc := range sortedContainers(op.Containers) {
		c := specContainer(pod, oc.Name)
		if !oc.Running() || c == nil || c.Lifecycle == nil || c.Lifecycle.PreStop == nil || (only != "" && oc.Name != only) {
			continue
		}
		if cur, _ := currentContainer(op.Containers, oc.Name); cur.ID != oc.ID {
			continue
		}
		wg.Add(1)
		go func(c *corev1.Container, id string) {
			defer wg.Done()
			if err := a.runHook(ctx, c, id, op.IP, c.Lifecycle.PreStop, grace); err != nil {
				a.events.record(ctx, pod, c.Name, corev1.EventTypeWarning, "FailedPreStopHook", "PreStopHook failed: %v", err)
			}
		}(c, oc.ID)
	}
	wg.Wait()
	left := grace - a.opts.Clock().Sub(start)
	if left < 0 {
		return 0
	}
	return left.Truncate(time.Second) + time.Duration(boolInt(left%time.Second != 0))*time.Second
}

// postStart runs a started container's postStart hook; when it fails the
// container is stopped, so it restarts per restartPolicy like any exit.
func (a *Agent) postStart(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id, podIP string) {
	if c.Lifecycle == nil || c.Lifecycle.PostStart == nil {
		return
	}
	if err := a.runHook(ctx, c, id, podIP, c.Lifecycle.PostStart, gracePeriod(pod)); err != nil {
		a.events.record(ctx, pod, c.Name, corev1.EventTypeWarning, "FailedPostStartHook", "PostStartHook failed: %v", err)
		a.log.Warn("postStart hook failed; stopping the container", "pod", podKey(pod), "container", c.Name, "err", err)
		if err := a.opts.Runtime.StopContainer(ctx, id, gracePeriod(pod)); err != nil {
			a.log.Warn("stopping the container failed", "pod", podKey(pod), "container", c.Name, "err", err)
		}
	}
}
