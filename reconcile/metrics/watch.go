package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// watchMetrics are the API server's watch fan-out's
// (apiserver.WatchObserver).
type watchMetrics struct {
	delivery prometheus.Histogram
	dropped  prometheus.Counter
}

func newWatchMetrics(f Factory) watchMetrics {
	return watchMetrics{
		delivery: f.Histogram("api", "watch_delivery_seconds",
			"Time from a store event's arrival in the API server's watch fan-out (right after its commit) to its write on each watch that gets it: the watch fan-out latency.",
			StepBuckets).WithLabelValues().(prometheus.Histogram),
		dropped: f.Counter("api", "watches_dropped_total",
			"Watches closed because their client fell too many events behind (the client lists again).").WithLabelValues(),
	}
}

// ObserveWatchDelivery implements apiserver.WatchObserver.
func (c *Controller) ObserveWatchDelivery(d time.Duration) { c.watch.delivery.Observe(d.Seconds()) }

// WatchDropped implements apiserver.WatchObserver.
func (c *Controller) WatchDropped() { c.watch.dropped.Inc() }
