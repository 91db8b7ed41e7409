package controllers

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// finalizeTerminatingPods stands in for the node agents in manager tests:
// a pod deleted gracefully (deletionTimestamp set) is removed for good, as
// an agent does once it has stopped the pod's containers.
func finalizeTerminatingPods(ctx context.Context, st *store.Store) {
	events, err := st.Watch(ctx, 0)
	if err != nil {
		return
	}
	for ev := range events {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || ev.Type == store.Deleted || p.DeletionTimestamp == nil {
			continue
		}
		st.Update(func(tx *store.Tx) error {
			cur, err := tx.Get(objects.KeyOf(p))
			if errors.Is(err, store.ErrNotFound) || (err == nil && cur.GetUID() != p.UID) {
				return nil
			}
			if err != nil {
				return err
			}
			return tx.Delete(objects.KeyOf(p))
		})
	}
}
