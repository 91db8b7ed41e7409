package promkit

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every metric of the product.
const Namespace = "reconcile"

// NewRegistry returns a registry of its own with the Go runtime and
// process collectors (go_*, process_*), as controller-runtime's.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Buckets of the product's histograms, in seconds.
var (
	// CommitBuckets: a commit's validation and apply, 10 ms to 2 min.
	CommitBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
	// StepBuckets: one pure step or a sync of one agent, 100 µs to 10 s.
	StepBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	// RequestBuckets: API requests and git fetches, 1 ms to 1 min.
	RequestBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
)
