package agentmetrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/metrics/promkit"
)

// Agent holds one agent's metrics; it implements agent.Observer. Its
// methods are safe for concurrent use.
type Agent struct {
	reg *prometheus.Registry

	syncDuration  *prometheus.HistogramVec
	restarts      prometheus.Counter
	probeFailures *prometheus.CounterVec
	proxyDuration *prometheus.HistogramVec
	proxyRules    prometheus.Gauge
	proxyServices prometheus.Gauge
	podmanErrors  *prometheus.CounterVec
}

// New registers the agent's metrics in a new registry (promkit.NewRegistry).
func New() *Agent {
	a := &Agent{reg: promkit.NewRegistry()}
	f := promkit.Factory{Reg: a.reg}
	a.syncDuration = f.Histogram("agent", "pod_sync_duration_seconds",
		"Time of one sync of the node's pods (list, observe Podman, act, write statuses), by result (ok, error).",
		promkit.StepBuckets, "result")
	a.restarts = f.Counter("agent", "container_restarts_total",
		"Containers started again after an earlier container of the same pod and name (what raises restartCount).").WithLabelValues()
	a.probeFailures = f.Counter("agent", "probe_failures_total",
		"Failed probe runs, by probe (liveness, readiness, startup).", "probe")
	a.proxyDuration = f.Histogram("agent", "proxy_sync_duration_seconds",
		"Time of one sync of the service proxy's rules (list, render, iptables-restore), by mode (full, partial) and result (ok, error).",
		promkit.StepBuckets, "mode", "result")
	a.proxyRules = f.Gauge("agent", "proxy_rules",
		"Rules in the proxy's own chains after its last sync.").WithLabelValues()
	a.proxyServices = f.Gauge("agent", "proxy_services",
		"Services the proxy's last sync rendered.").WithLabelValues()
	a.podmanErrors = f.Counter("agent", "podman_errors_total",
		"Podman API calls that failed, by operation (list, create_pod, run_container, stop_container, pull_image, ping…).", "operation")
	return a
}

// Registry is the agent's registry (its /metrics).
func (a *Agent) Registry() *prometheus.Registry { return a.reg }

// PodSyncDone implements agent.Observer.
func (a *Agent) PodSyncDone(d time.Duration, err error) {
	a.syncDuration.WithLabelValues(result(err)).Observe(d.Seconds())
}

// ContainerRestarted implements agent.Observer.
func (a *Agent) ContainerRestarted() { a.restarts.Inc() }

// ProbeFailed implements agent.Observer.
func (a *Agent) ProbeFailed(kind agent.ProbeKind) {
	a.probeFailures.WithLabelValues(strings.ToLower(string(kind))).Inc()
}

// ProxySynced is the proxy's OnSync.
func (a *Agent) ProxySynced(st proxy.SyncStats, err error) {
	mode := "partial"
	if st.Full {
		mode = "full"
	}
	a.proxyDuration.WithLabelValues(mode, result(err)).Observe(st.Total().Seconds())
	if err == nil {
		a.proxyRules.Set(float64(st.Rules))
		a.proxyServices.Set(float64(st.Services))
	}
}

// PodmanError is the Podman runtime's OnAPIError.
func (a *Agent) PodmanError(operation string) { a.podmanErrors.WithLabelValues(operation).Inc() }

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
