package agent

import (
	"context"
	"errors"
	"time"
)

// watchRuntime pings the runtime every RuntimeCheckInterval. When it stops
// answering, the node is reported NotReady at once (reason
// ContainerRuntimeUnhealthy) and stays so at every heartbeat; when it
// answers again the node is Ready again and the sync loop is woken, so pods
// that were pending start.
func (a *Agent) watchRuntime(ctx context.Context) {
	p, ok := a.opts.Runtime.(Pinger)
	if !ok {
		return
	}
	t := time.NewTicker(a.opts.RuntimeCheckInterval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, a.opts.RuntimePingTimeout)
		err := p.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		a.setRuntimeHealth(ctx, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setRuntimeHealth records a ping result and reports a change at once.
func (a *Agent) setRuntimeHealth(ctx context.Context, err error) {
	a.mu.Lock()
	was := a.runtimeErr
	a.runtimeErr = err
	a.mu.Unlock()
	if (was == nil) == (err == nil) {
		return
	}
	if err != nil {
		a.log.Error("container runtime does not answer; node reported NotReady", "reason", ReasonRuntimeUnhealthy,
			"podman", a.runtimeEndpoint(), "err", err)
	} else {
		a.log.Info("container runtime answers again; node Ready", "podman", a.runtimeEndpoint())
		select {
		case a.runtimeBack <- struct{}{}:
		default:
		}
	}
	if rerr := a.reportReadiness(ctx); rerr != nil && ctx.Err() == nil {
		a.log.Warn("reporting node readiness failed", "err", rerr)
	}
}

func (a *Agent) runtimeEndpoint() string {
	if e, ok := a.opts.Runtime.(interface{ Endpoint() string }); ok {
		return e.Endpoint()
	}
	return "the container runtime"
}

// reportReadiness is the heartbeat, a lease renewal: Ready=True while the
// runtime answers, else Ready=False with the runtime's error (when the
// control plane takes that report; otherwise no heartbeat, and the node
// goes Unknown); the controller writes the Node only when that changes
// its Ready condition. The whole Node status is posted instead when it
// changed (annotations, images) or NodeStatusReportFrequency passed.
func (a *Agent) reportReadiness(ctx context.Context) error {
	a.mu.Lock()
	rterr := a.runtimeErr
	a.mu.Unlock()
	if rterr != nil {
		nr, ok := a.opts.ControlPlane.(NodeReadiness)
		if !ok {
			return nil
		}
		return nr.ReportNodeReady(ctx, a.opts.NodeName, RuntimeCondition(a.runtimeEndpoint(), rterr, a.opts.Clock()))
	}
	if a.annotationsChanged() || a.imagesChanged(ctx) || a.statusDue() { // a renewed certificate, a pulled image, 5 min passed: onto the Node
		return a.registerNode(ctx)
	}
	err := a.opts.ControlPlane.Heartbeat(ctx, a.opts.NodeName)
	if errors.Is(err, ErrNotFound) { // the controller lost the node (new store): register again
		err = a.registerNode(ctx)
	}
	return err
}
