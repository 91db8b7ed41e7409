package controllers

import (
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

// UsageSource is the pods' latest usage (*podmetrics.Store).
type UsageSource interface {
	Pods(namespace string) []podmetrics.PodMetrics
}

// LeaseSource is the nodes' lease renewals (nodelease.Reader over the
// store: what every API server sharing it flushed).
type LeaseSource interface {
	RenewTime(node string) (time.Time, bool)
}

// renewTime is node's last lease renewal, zero without a LeaseSource or
// a lease.
func (in Inputs) renewTime(node string) time.Time {
	if in.Leases == nil {
		return time.Time{}
	}
	t, _ := in.Leases.RenewTime(node)
	return t
}
