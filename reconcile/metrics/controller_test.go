package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// The observers the measured packages call are implemented.
var (
	_ controllers.Observer                 = (*Controller)(nil)
	_ sources.Observer                     = (*Controller)(nil)
	_ apiserver.RequestObserver            = (*Controller)(nil)
	_ apiserver.WatchObserver              = (*Controller)(nil)
	_ interface{ Counts() map[string]int } = (*store.Store)(nil)
)

type fakeSources []apitypes.SourceStatus

func (f fakeSources) Statuses() ([]apitypes.SourceStatus, error) { return f, nil }

// newTestController: a real in-memory store with two ConfigMaps and a
// Ready node, one source whose head is applied.
func newTestController(t *testing.T) *Controller {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(func(tx *store.Tx) error {
		for _, n := range []string{"a", "b"} {
			if err := tx.Create(&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "default"}}); err != nil {
				return err
			}
		}
		return tx.Create(&corev1.Node{TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "n1"},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	src := fakeSources{{SourceStatus: reconcile.SourceStatus{Name: "apps", LastAppliedCommit: "a1", LastAttemptedCommit: "a1",
		LastAppliedAt: now.Add(-90 * time.Second), Objects: 2}}}
	return NewController(State{Sources: src, Store: st, Now: func() time.Time { return now }})
}

// Every metric follows Prometheus' naming rules (promtool's linter).
func TestControllerMetricsLint(t *testing.T) {
	c := newTestController(t)
	c.CommitDone("apps", sources.ResultApplied, 120*time.Millisecond, 0)
	c.CommitDone("apps", sources.ResultInvalid, 40*time.Millisecond, 3)
	c.Fetched("apps", 30*time.Millisecond, nil)
	c.Fetched("apps", time.Second, errors.New("unreachable"))
	c.QueueDepth("Deployment", 12)
	c.StepDone("Deployment", time.Millisecond, false)
	c.StepDone("#schedule", time.Millisecond, true)
	c.Scheduled(controllers.SchedulingStats{Scheduled: 3, Unschedulable: 1, Duration: time.Millisecond})
	c.ObserveRequest("list", "pods", 200, 5*time.Millisecond)
	c.ObserveRequest("watch", "*", 200, time.Minute)
	problems, err := testutil.GatherAndLint(c.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	names, err := c.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range names {
		if n := mf.GetName(); !strings.HasPrefix(n, "reconcile_") && !strings.HasPrefix(n, "go_") && !strings.HasPrefix(n, "process_") {
			t.Errorf("metric %s: every product metric is prefixed reconcile_", n)
		}
	}
}

// The scrape-time metrics read the sources, the store's counts and the
// nodes; the events counted by the observers come out as counted.
func TestControllerMetricsValues(t *testing.T) {
	c := newTestController(t)
	c.CommitDone("apps", sources.ResultInvalid, 40*time.Millisecond, 3)
	c.Scheduled(controllers.SchedulingStats{Scheduled: 3, Unschedulable: 1, Duration: time.Millisecond})
	c.Scheduled(controllers.SchedulingStats{}) // nothing pending any more
	c.ObserveRequest("watch", "*", 200, time.Minute)
	want := `
# HELP reconcile_node_ready 1 when the Node's Ready condition is True, 0 when False or Unknown (no heartbeat within the grace period).
# TYPE reconcile_node_ready gauge
reconcile_node_ready{node="n1"} 1
# HELP reconcile_source_head_applied 1 when the commit at the source's ref is the one applied (last fetched commit applied, no fetch error since, no rollback pin holding a newer commit), else 0.
# TYPE reconcile_source_head_applied gauge
reconcile_source_head_applied{source="apps"} 1
# HELP reconcile_source_seconds_since_last_applied_commit Seconds since the source's last commit was applied; absent before the first.
# TYPE reconcile_source_seconds_since_last_applied_commit gauge
reconcile_source_seconds_since_last_applied_commit{source="apps"} 90
# HELP reconcile_store_objects Objects in the store by kind (counted as commits are written, not by listing).
# TYPE reconcile_store_objects gauge
reconcile_store_objects{kind="ConfigMap"} 2
reconcile_store_objects{kind="Node"} 1
# HELP reconcile_source_validation_errors_total Errors of refused commits (schema, policy and plan errors at file:line:col), by source.
# TYPE reconcile_source_validation_errors_total counter
reconcile_source_validation_errors_total{source="apps"} 3
# HELP reconcile_scheduler_schedule_attempts_total Pods the scheduler tried to place, by result (scheduled, unschedulable); an unschedulable pod is tried again at each node or pod change.
# TYPE reconcile_scheduler_schedule_attempts_total counter
reconcile_scheduler_schedule_attempts_total{result="scheduled"} 3
reconcile_scheduler_schedule_attempts_total{result="unschedulable"} 1
# HELP reconcile_scheduler_unschedulable_pods Pending pods that fit on no node at the scheduler's last run.
# TYPE reconcile_scheduler_unschedulable_pods gauge
reconcile_scheduler_unschedulable_pods 0
# HELP reconcile_api_requests_total API requests answered, by verb (Kubernetes' words), route (resource[/subresource] or path) and HTTP code.
# TYPE reconcile_api_requests_total counter
reconcile_api_requests_total{code="200",route="*",verb="watch"} 1
`
	err := testutil.GatherAndCompare(c.Registry(), strings.NewReader(want),
		"reconcile_node_ready", "reconcile_source_head_applied", "reconcile_source_seconds_since_last_applied_commit",
		"reconcile_store_objects", "reconcile_source_validation_errors_total", "reconcile_scheduler_schedule_attempts_total",
		"reconcile_scheduler_unschedulable_pods", "reconcile_api_requests_total")
	if err != nil {
		t.Fatal(err)
	}
	// A watch lasts as long as its client: not a latency.
	if n := testutil.CollectAndCount(c.requestDuration); n != 0 {
		t.Fatalf("request duration series = %d, want 0 (watches are left out)", n)
	}
}
