package agent

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
)

// terminatePodInBackground carries out graceful deletion of one pod: SIGTERM
// to its containers, SIGKILL when the grace period (measured from the pod's
// deletionTimestamp, see remainingGrace) ends, a last status showing the
// containers terminated, removal from Podman, and FinalizePod. It runs in the
// background because the grace period may be long; an agent that stops
// meanwhile abandons it, and the next agent resumes it with what is left of
// the grace period.
func (a *Agent) terminatePodInBackground(ctx context.Context, act Action) {
	a.mu.Lock()
	if a.removing[act.PodmanPodID] {
		a.mu.Unlock()
		return
	}
	a.removing[act.PodmanPodID] = true
	a.stopping[act.UID] = true
	a.mu.Unlock()
	a.log.Info(act.String())
	a.removals.Add(1)
	go func() {
		defer a.removals.Done()
		defer func() {
			a.mu.Lock()
			delete(a.removing, act.PodmanPodID)
			delete(a.stopping, act.UID)
			a.mu.Unlock()
		}()
		var err error
		defer a.recovered(ctx, act.Pod, "terminating pod "+podKey(act.Pod), &err)
		if err = a.terminate(ctx, act); err != nil && ctx.Err() == nil {
			a.log.Warn("terminating pod failed; retrying at the next sync", "pod", podKey(act.Pod), "err", err)
		}
	}()
}

func (a *Agent) terminate(ctx context.Context, act Action) error {
	pod := act.Pod
	grace := act.Grace
	if op := a.lookupObserved(ctx, act.UID); op != nil {
		for _, c := range sortedContainers(op.Containers) {
			if c.Running() {
				a.events.record(ctx, pod, c.Name, corev1.EventTypeNormal, ReasonKilling, "Stopping container %s", c.Name)
			}
		}
		grace = a.preStop(ctx, pod, op, "", grace)
	}
	if err := a.opts.Runtime.StopPod(ctx, act.PodmanPodID, grace); err != nil {
		return err
	}
	if op := a.lookupObserved(ctx, act.UID); op != nil {
		updated := pod.DeepCopy()
		updated.Status = Status(pod, op, a.opts.Clock(), a.opts.Host.IP)
		if err := a.opts.ControlPlane.UpdatePodStatus(ctx, updated); err != nil && !errors.Is(err, ErrNotFound) {
			a.log.Warn("writing the terminated pod's status failed", "pod", podKey(pod), "err", err)
		}
	}
	if err := a.opts.Runtime.RemovePod(ctx, act.PodmanPodID, 0); err != nil {
		return err
	}
	if err := removePodDir(a.opts.DataDir, act.UID); err != nil {
		a.log.Warn("removing pod directory", "uid", act.UID, "err", err)
	}
	a.finalize(ctx, pod)
	return nil
}

// finalizeUnlessStopping finalizes a pod Sync saw nothing of in Podman,
// unless its termination is under way in the background (observe hides
// pods being removed, so Sync cannot tell).
func (a *Agent) finalizeUnlessStopping(ctx context.Context, pod *corev1.Pod) {
	a.mu.Lock()
	busy := a.stopping[string(pod.UID)]
	a.mu.Unlock()
	if !busy {
		a.finalize(ctx, pod)
	}
}

// finalize removes the terminating pod from the store; one already gone is fine.
func (a *Agent) finalize(ctx context.Context, pod *corev1.Pod) {
	err := a.opts.ControlPlane.FinalizePod(ctx, pod)
	switch {
	case err == nil:
		a.log.Info("pod finalized", "pod", podKey(pod), "uid", pod.UID)
	case errors.Is(err, ErrNotFound):
	default:
		a.log.Warn("finalizing pod failed; retrying at the next sync", "pod", podKey(pod), "err", err)
	}
}

// lookupObserved lists Podman and returns the pod with that uid, or nil.
func (a *Agent) lookupObserved(ctx context.Context, uid string) *ObservedPod {
	list, err := a.opts.Runtime.List(ctx)
	if err != nil {
		return nil
	}
	for i := range list {
		if list[i].UID == uid {
			return &list[i]
		}
	}
	return nil
}
