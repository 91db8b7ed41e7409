package agent

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ReasonFailedSync is the Warning event of a pod whose sync or action
// panicked (the kubelet reports a failed pod sync under the same reason).
const ReasonFailedSync = "FailedSync"

// panicBackoff is how long a pod whose sync panicked is left alone: the
// container restart backoff (10 s doubling to 300 s), counted per pod.
type panicBackoff struct {
	Count int
	Until time.Time
}

// recovered turns a panic of the calling goroutine into an error naming what
// panicked, with the stack in the log: one bad pod must not stop the agent.
// Use as `defer a.recovered(ctx, pod, what, &err)`.
func (a *Agent) recovered(ctx context.Context, pod *corev1.Pod, what string, err *error) {
	v := recover()
	if v == nil {
		return
	}
	e := fmt.Errorf("panic in %s: %v", what, v)
	if err != nil {
		*err = e
	}
	a.notePanic(ctx, pod, e, debug.Stack())
}

// notePanic logs the panic with the pod's key, records a Warning event and
// puts the pod under backoff; other pods keep being synced.
func (a *Agent) notePanic(ctx context.Context, pod *corev1.Pod, err error, stack []byte) {
	if pod == nil {
		a.log.Error("agent step panicked; retrying at the next sync", "err", err, "stack", string(stack))
		return
	}
	uid := string(pod.UID)
	a.mu.Lock()
	b := a.panics[uid]
	b.Count++
	b.Until = a.opts.Clock().Add(backoffDelay(b.Count))
	a.panics[uid] = b
	a.mu.Unlock()
	a.log.Error("pod sync panicked; pod retried with backoff, other pods go on", "pod", podKey(pod), "uid", uid,
		"err", err, "retryAt", b.Until, "stack", string(stack))
	a.events.record(ctx, pod, "", corev1.EventTypeWarning, ReasonFailedSync,
		"%v; the pod is retried with backoff (a bug in reconcile: please report it with the agent log)", err)
}

// backingOff says whether a pod's last sync panicked and its backoff has
// not passed yet.
func (a *Agent) backingOff(uid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.panics[uid]
	return ok && a.opts.Clock().Before(b.Until)
}

// plan is Sync with each pod isolated: Sync runs over everything at once
// (the common case); should it panic, it runs again pod by pod, so only the
// pods whose step panics are left out (and put under backoff). Pods under
// backoff are planned for nothing until it passes.
func (a *Agent) plan(ctx context.Context, desired []*corev1.Pod, observed []ObservedPod, now time.Time) []Action {
	var ready []*corev1.Pod
	for _, p := range desired {
		if !a.backingOff(string(p.UID)) {
			ready = append(ready, p)
		}
	}
	if acts, ok := a.trySync(ctx, nil, ready, observed, now); ok {
		return a.withoutBackingOff(acts, desired)
	}
	var actions []Action
	known := map[string]bool{}
	for _, p := range desired {
		known[string(p.UID)] = true
	}
	var strays []ObservedPod // in Podman, not bound here: their removals
	for _, op := range observed {
		if !known[op.UID] {
			strays = append(strays, op)
		}
	}
	if acts, ok := a.trySync(ctx, nil, nil, strays, now); ok {
		actions = append(actions, acts...)
	}
	for _, p := range ready {
		var mine []ObservedPod
		for _, op := range observed {
			if op.UID == string(p.UID) {
				mine = append(mine, op)
			}
		}
		if acts, ok := a.trySync(ctx, p, []*corev1.Pod{p}, mine, now); ok {
			actions = append(actions, acts...)
		}
	}
	return actions
}

// trySync runs Sync and reports a panic (against pod, when only one pod was
// given) instead of dying of it.
func (a *Agent) trySync(ctx context.Context, pod *corev1.Pod, desired []*corev1.Pod, observed []ObservedPod, now time.Time) (acts []Action, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			a.notePanic(ctx, pod, fmt.Errorf("panic in the sync step: %v", v), debug.Stack())
			acts, ok = nil, false
		}
	}()
	return syncStep(desired, observed, now), true
}

// syncStep is Sync; a variable so that a test can make it panic for one pod.
var syncStep = Sync

// withoutBackingOff drops actions on pods under backoff: a pod left out of
// Sync's desired list would otherwise look unbound and be removed.
func (a *Agent) withoutBackingOff(acts []Action, desired []*corev1.Pod) []Action {
	off := map[string]bool{}
	for _, p := range desired {
		if a.backingOff(string(p.UID)) {
			off[string(p.UID)] = true
		}
	}
	if len(off) == 0 {
		return acts
	}
	out := acts[:0]
	for _, act := range acts {
		uid := act.UID
		if act.Pod != nil {
			uid = string(act.Pod.UID)
		}
		if !off[uid] {
			out = append(out, act)
		}
	}
	return out
}
