package promkit

import "github.com/prometheus/client_golang/prometheus"

// Factory registers reconcile_<subsystem>_<name> metrics in Reg (the
// controller's and the agents').
type Factory struct{ Reg prometheus.Registerer }

// Counter registers a counter vector.
func (f Factory) Counter(subsystem, name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: subsystem, Name: name, Help: help}, labels)
	f.Reg.MustRegister(v)
	return v
}

// Gauge registers a gauge vector.
func (f Factory) Gauge(subsystem, name, help string, labels ...string) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: subsystem, Name: name, Help: help}, labels)
	f.Reg.MustRegister(v)
	return v
}

// Histogram registers a histogram vector with buckets.
func (f Factory) Histogram(subsystem, name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: subsystem, Name: name, Help: help, Buckets: buckets}, labels)
	f.Reg.MustRegister(v)
	return v
}
