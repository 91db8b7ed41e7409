package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// prober runs the probes of running containers, one worker goroutine per
// (container incarnation, probe kind), as the kubelet's prober manager does.
// Results are kept by container ID, so a restarted container starts over
// (not ready, not started); the agent attaches them to what it observes and
// the pure Sync and Status act on them. A changed result wakes the agent.
type prober struct {
	rt     Runtime
	events *eventRecorder
	clock  func() time.Time
	log    *slog.Logger
	check  func(ctx context.Context, containerID string, t probeTarget, timeout time.Duration) (bool, string)
	// observer counts failed probe runs (nil: none).
	observer Observer

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}

	mu      sync.Mutex
	workers map[workerKey]context.CancelFunc
	results map[string]ProbeResults // by container ID
}

type workerKey struct {
	containerID string
	kind        ProbeKind
}

func newProber(rt Runtime, events *eventRecorder, clock func() time.Time, log *slog.Logger) *prober {
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{rt: rt, events: events, clock: clock, log: log, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), workers: map[workerKey]context.CancelFunc{}, results: map[string]ProbeResults{}}
	p.check = func(ctx context.Context, id string, t probeTarget, timeout time.Duration) (bool, string) {
		return runProbe(ctx, p.rt, id, t, timeout)
	}
	return p
}

// stop ends every worker (the agent is stopping).
func (p *prober) stop() { p.cancel() }

// results returns the results of every probed container, by container ID.
func (p *prober) snapshot() map[string]ProbeResults {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]ProbeResults, len(p.results))
	for k, v := range p.results {
		out[k] = v
	}
	return out
}

// update starts workers for the probes of running containers and stops the
// workers (and forgets the results) of containers that no longer run.
func (p *prober) update(desired []*corev1.Pod, observed []ObservedPod) {
	byUID := map[string]*ObservedPod{}
	for i := range observed {
		byUID[observed[i].UID] = &observed[i]
	}
	live := map[workerKey]bool{}
	for _, pod := range desired {
		op := byUID[string(pod.UID)]
		if op == nil || pod.DeletionTimestamp != nil {
			continue
		}
		for i := range pod.Spec.Containers {
			c := &pod.Spec.Containers[i]
			cur, ok := currentContainer(op.Containers, c.Name)
			if !ok || !cur.Running() {
				continue
			}
			for _, kind := range []ProbeKind{Startup, Liveness, Readiness} {
				if probeOf(c, kind) == nil {
					continue
				}
				k := workerKey{cur.ID, kind}
				live[k] = true
				p.ensure(k, pod, c, cur, op.IP)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := map[string]bool{}
	for k, cancel := range p.workers {
		if !live[k] {
			cancel()
			delete(p.workers, k)
		} else {
			ids[k.containerID] = true
		}
	}
	for id := range p.results {
		if !ids[id] {
			delete(p.results, id)
		}
	}
}

func (p *prober) ensure(k workerKey, pod *corev1.Pod, c *corev1.Container, oc ObservedContainer, podIP string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.workers[k]; ok {
		return
	}
	if _, ok := p.results[k.containerID]; !ok {
		p.results[k.containerID] = ProbeResults{}
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.workers[k] = cancel
	go p.work(ctx, k.kind, pod.DeepCopy(), c.DeepCopy(), oc, podIP)
}

// set changes a container's results and wakes the agent when they changed.
func (p *prober) set(id string, change func(*ProbeResults)) {
	p.mu.Lock()
	r, ok := p.results[id]
	if !ok {
		p.mu.Unlock()
		return // the container stopped meanwhile
	}
	before := r
	change(&r)
	p.results[id] = r
	p.mu.Unlock()
	if r != before {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

func (p *prober) started(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.results[id].Started
}

// work runs one probe of one container until the container stops, the
// probe decides the container must die, or a startup probe succeeds.
func (p *prober) work(ctx context.Context, kind ProbeKind, pod *corev1.Pod, c *corev1.Container, oc ObservedContainer, podIP string) {
	probe := probeOf(c, kind)
	pp := paramsOf(probe, kind)
	target, resolveErr := resolveProbe(probe, c, podIP)
	state := initialProbeState(kind)
	if wait := oc.StartedAt.Add(pp.InitialDelay).Sub(p.clock()); wait > 0 && !ctxwait.Sleep(ctx, wait) {
		return
	}
	for {
		if kind == Startup || c.StartupProbe == nil || p.started(oc.ID) {
			ok, msg := false, ""
			if resolveErr != nil {
				msg = resolveErr.Error()
			} else {
				ok, msg = p.check(ctx, oc.ID, target, pp.Timeout)
			}
			if ctx.Err() != nil {
				return
			}
			if !ok {
				p.events.record(ctx, pod, c.Name, corev1.EventTypeWarning, ReasonUnhealthy, "%s probe failed: %s", kind, msg)
				if p.observer != nil {
					p.observer.ProbeFailed(kind)
				}
			}
			state = probeStep(state, ok, msg, pp)
			if p.apply(ctx, kind, pod, c, oc.ID, state, pp) {
				return
			}
		}
		if !ctxwait.Sleep(ctx, pp.Period) {
			return
		}
	}
}

// apply publishes a probe's state and says whether its worker is done.
func (p *prober) apply(ctx context.Context, kind ProbeKind, pod *corev1.Pod, c *corev1.Container, id string, s probeState, pp probeParams) bool {
	switch kind {
	case Readiness:
		p.set(id, func(r *ProbeResults) { r.Ready = s.Success })
		return false
	case Startup:
		if s.Success {
			p.set(id, func(r *ProbeResults) { r.Started = true })
			return true
		}
		if s.Failures < pp.FailureThreshold {
			return false
		}
	default: // Liveness
		if s.Success {
			return false
		}
	}
	msg := string(kind) + " probe failed: " + s.Message
	p.events.record(ctx, pod, c.Name, corev1.EventTypeNormal, ReasonKilling,
		"Container %s failed %s probe, will be restarted", c.Name, lower(kind))
	p.log.Info("container failed its probe; restarting it", "pod", podKey(pod), "container", c.Name, "probe", kind, "why", s.Message)
	p.set(id, func(r *ProbeResults) { r.Unhealthy = msg })
	return true
}

func lower(k ProbeKind) string {
	switch k {
	case Liveness:
		return "liveness"
	case Readiness:
		return "readiness"
	}
	return "startup"
}
