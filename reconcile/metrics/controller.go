package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
)

// Controller holds the controller's metrics and implements the observers
// of the packages it measures (controllers.Observer, sources.Observer,
// apiserver.RequestObserver). Its methods are safe for concurrent use.
type Controller struct {
	reg *prometheus.Registry

	commitDuration   *prometheus.HistogramVec
	validationErrors *prometheus.CounterVec
	fetchDuration    *prometheus.HistogramVec

	queueDepth   *prometheus.GaugeVec
	stepDuration *prometheus.HistogramVec
	stepPanics   *prometheus.CounterVec

	scheduleAttempts *prometheus.CounterVec
	scheduleDuration prometheus.Histogram
	podWaited        prometheus.Histogram
	unschedulable    prometheus.Gauge

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	// requestSeries caches the series of each (verb, route, code): the
	// label values' hashing and lookup ran twice per API request
	// (BENCHMARKS.md, issue 13: heartbeats, round 3); few distinct keys.
	requestSeries sync.Map // requestKey → requestSeries

	watch watchMetrics // watch.go
}

// NewController registers the controller's metrics, and those read at
// scrape time from state (sources, store, nodes; State's nil fields are
// left out), in a new registry (NewRegistry).
func NewController(state State) *Controller {
	c := &Controller{reg: NewRegistry()}
	f := Factory{Reg: c.reg}
	c.commitDuration = f.Histogram("source", "commit_apply_duration_seconds",
		"Time from a fetched new commit to its end: validation, decryption and the apply transaction, by source and result (applied, invalid: refused whole with errors, failed: the store write failed).",
		CommitBuckets, "source", "result")
	c.validationErrors = f.Counter("source", "validation_errors_total",
		"Errors of refused commits (schema, policy and plan errors at file:line:col), by source.", "source")
	c.fetchDuration = f.Histogram("source", "git_fetch_duration_seconds",
		"Time of one fetch of a git source (fetch and tree read), by source and result (ok, error).",
		RequestBuckets, "source", "result")
	c.queueDepth = f.Gauge("controller", "queue_depth",
		"Keys waiting in the runner's work queue for each step when its current pass started (0 when idle), by kind (#name for built-in steps).", "kind")
	c.stepDuration = f.Histogram("controller", "step_duration_seconds",
		"Time of one pure step call for one key (built-in steps: one run), by kind.", StepBuckets, "kind")
	c.stepPanics = f.Counter("controller", "step_panics_total",
		"Step calls that panicked (the key is retried with backoff; a ReconcilerPanic event names it), by kind.", "kind")
	c.scheduleAttempts = f.Counter("scheduler", "schedule_attempts_total",
		"Pods the scheduler tried to place, by result (scheduled, unschedulable); an unschedulable pod is tried again at each node or pod change.", "result")
	c.scheduleDuration = f.Histogram("scheduler", "scheduling_attempt_duration_seconds",
		"Time of one scheduler run over every pending pod.", StepBuckets).WithLabelValues().(prometheus.Histogram)
	c.podWaited = f.Histogram("scheduler", "pod_scheduling_duration_seconds",
		"Time from a pod's creation to the scheduler run that bound it (creationTimestamp has second precision).",
		RequestBuckets).WithLabelValues().(prometheus.Histogram)
	c.unschedulable = f.Gauge("scheduler", "unschedulable_pods",
		"Pending pods that fit on no node at the scheduler's last run.").WithLabelValues()
	c.requests = f.Counter("api", "requests_total",
		"API requests answered, by verb (Kubernetes' words), route (resource[/subresource] or path) and HTTP code.", "verb", "route", "code")
	c.requestDuration = f.Histogram("api", "request_duration_seconds",
		"Time to answer an API request, by verb and route; watches and followed logs, which last as long as the client wants, are left out.",
		RequestBuckets, "verb", "route")
	c.watch = newWatchMetrics(f)
	c.reg.MustRegister(newStateCollector(state))
	return c
}

// Registry is the controller's registry (its /metrics).
func (c *Controller) Registry() *prometheus.Registry { return c.reg }

// Fetched implements sources.Observer.
func (c *Controller) Fetched(source string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	c.fetchDuration.WithLabelValues(source, result).Observe(d.Seconds())
}

// CommitDone implements sources.Observer.
func (c *Controller) CommitDone(source, result string, d time.Duration, errors int) {
	c.commitDuration.WithLabelValues(source, result).Observe(d.Seconds())
	if errors > 0 {
		c.validationErrors.WithLabelValues(source).Add(float64(errors))
	}
}

// QueueDepth implements controllers.Observer.
func (c *Controller) QueueDepth(kind string, n int) {
	c.queueDepth.WithLabelValues(kind).Set(float64(n))
}

// StepDone implements controllers.Observer.
func (c *Controller) StepDone(kind string, d time.Duration, panicked bool) {
	c.stepDuration.WithLabelValues(kind).Observe(d.Seconds())
	if panicked {
		c.stepPanics.WithLabelValues(kind).Inc()
	}
}

// Scheduled implements controllers.Observer.
func (c *Controller) Scheduled(s controllers.SchedulingStats) {
	if s.Scheduled+s.Unschedulable > 0 {
		c.scheduleAttempts.WithLabelValues("scheduled").Add(float64(s.Scheduled))
		c.scheduleAttempts.WithLabelValues("unschedulable").Add(float64(s.Unschedulable))
		c.scheduleDuration.Observe(s.Duration.Seconds())
	}
	for _, d := range s.Waited {
		c.podWaited.Observe(d.Seconds())
	}
	c.unschedulable.Set(float64(s.Unschedulable))
}

// ObserveRequest implements apiserver.RequestObserver.
func (c *Controller) ObserveRequest(verb, route string, code int, d time.Duration) {
	k := requestKey{verb, route, code}
	v, ok := c.requestSeries.Load(k)
	if !ok {
		rs := requestSeries{count: c.requests.WithLabelValues(verb, route, strconv.Itoa(code))}
		if verb != "watch" && route != "pods/log" {
			rs.duration = c.requestDuration.WithLabelValues(verb, route)
		}
		v, _ = c.requestSeries.LoadOrStore(k, rs)
	}
	rs := v.(requestSeries)
	rs.count.Inc()
	if rs.duration != nil {
		rs.duration.Observe(d.Seconds())
	}
}

type requestKey struct {
	verb, route string
	code        int
}

// requestSeries are one requestKey's series; duration is nil for streams
// (a watch's or a followed log's duration is its life, not a latency).
type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}
