package controllers

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// observeSets queues the DaemonSet and StatefulSet work an event implies:
// the object itself, the owner of a pod (or, for an orphan pod, every
// DaemonSet and StatefulSet of its namespace, which may adopt it), and for
// a node event every DaemonSet, whose set of eligible nodes may have
// changed (a node joined, left, or was relabelled, tainted or cordoned).
func (m *Manager) observeSets(k objects.Key, o objects.Object) {
	switch k.Kind {
	case "DaemonSet", "StatefulSet":
		m.q.add(k)
	case "Pod":
		m.markOwner(o, "DaemonSet")
		m.markOwner(o, "StatefulSet")
	case "Node":
		for dk := range m.cache.byKind["DaemonSet"] {
			m.q.add(dk)
		}
	}
}

// setSteps runs the dirty DaemonSet and StatefulSet steps of one pass,
// each kind's steps written in batched transactions.
func (m *Manager) setSteps(ctx context.Context, now time.Time) error {
	var steps []keyedChanges
	for _, k := range m.q.take("DaemonSet") {
		if ds, ok := m.cache.get(k).(*appsv1.DaemonSet); ok {
			pods := candidates[*corev1.Pod](m.cache, ds, "Pod")
			steps = append(steps, keyedChanges{k, ReconcileDaemonSet(ds, pods, m.cache.nodes(), m.cfg.Suffix, now)})
		}
	}
	if err := m.steps(ctx, steps); err != nil {
		return err
	}
	steps = steps[:0]
	for _, k := range m.q.take("StatefulSet") {
		if sts, ok := m.cache.get(k).(*appsv1.StatefulSet); ok {
			pods := candidates[*corev1.Pod](m.cache, sts, "Pod")
			steps = append(steps, keyedChanges{k, ReconcileStatefulSet(sts, pods, now)})
		}
	}
	return m.steps(ctx, steps)
}
