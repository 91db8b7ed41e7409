package agent

import (
	"context"
	"time"
)

// Observer receives the agent's measurements: agent/agentmetrics turns
// them into Prometheus metrics. The decisions (Sync, Status, probeStep)
// stay pure; the agent calls it where it acts, and Options.Observer nil
// costs a nil check.
type Observer interface {
	// PodSyncDone reports one sync of the node's pods (SyncOnce: list,
	// observe Podman, act, write statuses); err is its failure.
	PodSyncDone(d time.Duration, err error)
	// ContainerRestarted reports a container started again after an
	// earlier one of the same pod and name (restartCount + 1).
	ContainerRestarted()
	// ProbeFailed reports one failed probe run of kind.
	ProbeFailed(kind ProbeKind)
}

// syncOnceObserved is SyncOnce, timed for the observer.
func (a *Agent) syncOnceObserved(ctx context.Context) (uint64, error) {
	o := a.opts.Observer
	if o == nil {
		return a.SyncOnce(ctx)
	}
	start := time.Now()
	rv, err := a.SyncOnce(ctx)
	if ctx.Err() == nil {
		o.PodSyncDone(time.Since(start), err)
	}
	return rv, err
}
