package controllers

import "time"

// Observer receives the runner's measurements: reconcile/metrics turns
// them into Prometheus metrics. The steps stay pure (they return what they
// decided, SchedulingStats included); only the runner calls it, and a nil
// Options.Observer costs a nil check.
type Observer interface {
	// QueueDepth is how many keys of kind wait when a pass starts; 0 once
	// the runner is idle again.
	QueueDepth(kind string, n int)
	// StepDone reports one call of kind's step for one key (built-in
	// steps: once per run); panicked when it panicked.
	StepDone(kind string, d time.Duration, panicked bool)
	// Scheduled reports one run of the scheduler over the pending pods.
	Scheduled(s SchedulingStats)
}

// SchedulingStats is the outcome of one scheduler run (the #schedule
// step), counted over the pending pods it saw.
type SchedulingStats struct {
	// Scheduled pods got a node; Unschedulable pods fit nowhere (their
	// PodScheduled=False is written only when its message changes).
	Scheduled, Unschedulable int
	// Waited is, for each pod bound, the time from its creation to this
	// run (creationTimestamp has second precision: a pod bound in its
	// first second may show 0).
	Waited []time.Duration
	// Duration is how long the run took (set by the runner).
	Duration time.Duration
}

// observeDepth reports the keys waiting for each step before a pass.
func (m *Manager) observeDepth() {
	o := m.cfg.Observer
	if o == nil {
		return
	}
	for kind := range m.stepKinds {
		n := len(m.q.dirty[kind])
		if n > 0 || m.depthShown[kind] {
			o.QueueDepth(kind, n)
			m.depthShown[kind] = n > 0
		}
	}
}
