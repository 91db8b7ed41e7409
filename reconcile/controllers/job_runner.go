package controllers

import (
	"context"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The Manager's part for Jobs, CronJobs and the event history: which
// events dirty which keys, and the steps of one pass.

// keyPruneEvents is the work item that bounds the event history; it runs
// again every eventPruneInterval.
var keyPruneEvents = objects.Key{Kind: "#events"}

const eventPruneInterval = time.Minute

// observeBatch marks the work an event on o affects: a Job's own key and
// its CronJob, a CronJob's key, a Job pod's Job.
func (m *Manager) observeBatch(k objects.Key, o objects.Object) {
	switch k.Kind {
	case "Job":
		m.q.add(k)
		m.markController(o, "CronJob")
	case "CronJob":
		m.q.add(k)
	case "Pod":
		m.markController(o, "Job")
	}
}

// markController queues o's controller if it is of kind (Jobs and
// CronJobs never adopt orphans, so orphans queue nothing).
func (m *Manager) markController(o objects.Object, kind string) {
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil && ref.Kind == kind {
		m.q.add(objects.Key{Kind: kind, Namespace: o.GetNamespace(), Name: ref.Name})
	}
}

// markAllBatch queues every Job and CronJob (the periodic resync) and the
// event pruning unless it is already due later.
func (m *Manager) markAllBatch() {
	for _, kind := range []string{"Job", "CronJob"} {
		for k := range m.cache.byKind[kind] {
			m.q.add(k)
		}
	}
	if _, later := m.q.later[keyPruneEvents]; !later {
		m.q.add(keyPruneEvents)
	}
}

// batchSteps runs the CronJob steps (they create Jobs), then the Job steps
// (they create pods, which the scheduler of the same pass binds), then the
// event pruning when due.
func (m *Manager) batchSteps(ctx context.Context, now time.Time) error {
	realNow := now
	if m.cfg.BatchNow != nil {
		now = m.cfg.BatchNow()
	}
	var steps []keyedChanges
	for _, k := range m.q.take("CronJob") {
		if cj, ok := m.cache.get(k).(*batchv1.CronJob); ok {
			jobs := candidates[*batchv1.Job](m.cache, cj, "Job")
			steps = append(steps, keyedChanges{k, ReconcileCronJob(cj, jobs, time.Local, now)})
		}
	}
	if err := m.steps(ctx, steps); err != nil {
		return err
	}
	steps = steps[:0]
	for _, k := range m.q.take("Job") {
		if j, ok := m.cache.get(k).(*batchv1.Job); ok {
			pods := candidates[*corev1.Pod](m.cache, j, "Pod")
			steps = append(steps, keyedChanges{k, ReconcileJob(j, pods, m.cfg.Suffix, now)})
		}
	}
	if err := m.steps(ctx, steps); err != nil {
		return err
	}
	if m.q.takeOne(keyPruneEvents) {
		m.q.addAfter(keyPruneEvents, realNow, eventPruneInterval)
		var n int
		err := m.st.Update(func(tx *store.Tx) (err error) {
			n, err = events.Prune(tx, realNow)
			return err
		})
		if err != nil {
			m.log.Error("pruning old events failed; will retry", "err", err)
		} else if n > 0 {
			m.log.Debug("pruned events", "count", n)
		}
	}
	return nil
}
