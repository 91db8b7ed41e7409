package controllers

import (
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// PodsToEvict returns the pods bound to one of the nodes (NodesToEvict's
// answer): their node has not been Ready for PodEvictionTimeout, so no
// agent will stop them and finalize their graceful deletion. They are
// removed for good (force-deleted), so their controllers create
// replacements on nodes that work.
func PodsToEvict(nodes []string, pods []*corev1.Pod) []*corev1.Pod {
	gone := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		gone[n] = true
	}
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Spec.NodeName != "" && gone[p.Spec.NodeName] {
			out = append(out, p)
		}
	}
	return out
}

// evictPods force-deletes the pods of nodes NotReady past the eviction
// timeout, recording an event on each pod's node, and returns how many it
// removed.
func (m *Manager) evictPods(now time.Time) (int, error) {
	nodes := NodesToEvict(m.cache.nodes(), now)
	pods := PodsToEvict(nodes, m.cache.pods())
	if len(pods) == 0 {
		return 0, nil
	}
	n := 0
	err := m.st.Update(func(tx *store.Tx) error {
		for _, p := range pods {
			k := objects.KeyOf(p)
			cur, err := tx.Get(k)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if cur.GetUID() != p.UID {
				continue
			}
			if err := tx.Delete(k); err != nil {
				return err
			}
			n++
			msg := fmt.Sprintf("Deleting pod %s/%s: node %s has not been ready for %s", p.Namespace, p.Name, p.Spec.NodeName, PodEvictionTimeout)
			if err := events.Record(tx, p, events.Warning, "NodeNotReadyEviction", msg, "node-controller", now); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
