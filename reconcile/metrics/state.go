package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// State is what the scrape-time metrics read. Each field may be nil (its
// metrics are left out).
type State struct {
	// Sources are the git sources' status records (sources.Manager).
	Sources interface {
		Statuses() ([]apitypes.SourceStatus, error)
	}
	// Store is the object store (*store.Store): objects per kind kept by
	// its commits, Badger's size estimate, and the Nodes it has decoded.
	Store interface {
		Counts() map[string]int
		Size() (lsm, vlog int64)
		ListShared(kind, namespace string) ([]objects.Object, uint64, error)
	}
	// Now is the clock of the ages (default time.Now).
	Now func() time.Time
}

// stateCollector turns State into metrics at each scrape.
type stateCollector struct {
	s State

	headApplied, lastApplied, sinceApplied, lastErrors, sourceObjects *prometheus.Desc
	objects, size, nodeReady, scrapeErrors                            *prometheus.Desc
}

func newStateCollector(s State) *stateCollector {
	if s.Now == nil {
		s.Now = time.Now
	}
	d := func(subsystem, name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, subsystem, name), help, labels, nil)
	}
	return &stateCollector{s: s,
		headApplied: d("source", "head_applied",
			"1 when the commit at the source's ref is the one applied (last fetched commit applied, no fetch error since, no rollback pin holding a newer commit), else 0.", "source"),
		lastApplied: d("source", "last_applied_timestamp_seconds",
			"When the source's last commit was applied (Unix time); absent before the first.", "source"),
		sinceApplied: d("source", "seconds_since_last_applied_commit",
			"Seconds since the source's last commit was applied; absent before the first.", "source"),
		lastErrors: d("source", "last_attempt_errors",
			"Errors of the source's last attempted commit (0 when it was applied).", "source"),
		sourceObjects: d("source", "objects",
			"Objects of the source's applied commit.", "source"),
		objects: d("store", "objects",
			"Objects in the store by kind (counted as commits are written, not by listing).", "kind"),
		size: d("store", "size_bytes",
			"Badger's estimate of its files by part: lsm (keys and small values) and vlog (the value log); refreshed by Badger about once a minute.", "part"),
		nodeReady: d("node", "ready",
			"1 when the Node's Ready condition is True, 0 when False or Unknown (no heartbeat within the grace period).", "node"),
		scrapeErrors: d("metrics", "state_errors",
			"1 when reading a part of the state for this scrape failed (the log says why), by part (sources, nodes).", "part"),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.headApplied, c.lastApplied, c.sinceApplied, c.lastErrors, c.sourceObjects,
		c.objects, c.size, c.nodeReady, c.scrapeErrors} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	now := c.s.Now()
	if c.s.Sources != nil {
		statuses, err := c.s.Sources.Statuses()
		gauge(c.scrapeErrors, boolValue(err != nil), "sources")
		for _, s := range statuses {
			gauge(c.headApplied, boolValue(HeadApplied(s)), s.Name)
			if !s.LastAppliedAt.IsZero() {
				gauge(c.lastApplied, float64(s.LastAppliedAt.UnixNano())/1e9, s.Name)
				gauge(c.sinceApplied, max(now.Sub(s.LastAppliedAt).Seconds(), 0), s.Name)
			}
			gauge(c.lastErrors, float64(len(s.Errors)), s.Name)
			gauge(c.sourceObjects, float64(s.Objects), s.Name)
		}
	}
	if st := c.s.Store; st != nil {
		for kind, n := range st.Counts() {
			gauge(c.objects, float64(n), kind)
		}
		lsm, vlog := st.Size()
		gauge(c.size, float64(lsm), "lsm")
		gauge(c.size, float64(vlog), "vlog")
		// Nodes are few (one per host) and decoded once by the store's
		// cache: this reads the Node keys only, not the store.
		nodes, _, err := st.ListShared("Node", "")
		gauge(c.scrapeErrors, boolValue(err != nil), "nodes")
		for _, o := range nodes {
			if n, ok := o.(*corev1.Node); ok {
				gauge(c.nodeReady, boolValue(nodeReady(n)), n.Name)
			}
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
