package store

import (
	"errors"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// UpdateWithStatus writes spec and status as one change: one
// resourceVersion, the generation bumped for the spec, the uid kept; an
// equal write is a no-op and a stale one a conflict.
func TestUpdateWithStatusRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		d := deployment("default", "web", 2)
		create(t, st, d)
		uid := d.GetUID()
		next := mustGet(t, st, d).(*appsv1.Deployment)
		*next.Spec.Replicas = 3
		next.Status.Replicas = 3
		if err := st.Update(func(tx *Tx) error { return tx.UpdateWithStatus(next) }); err != nil {
			t.Fatal(err)
		}
		got := mustGet(t, st, d).(*appsv1.Deployment)
		if *got.Spec.Replicas != 3 || got.Status.Replicas != 3 || got.Generation != 2 || got.ResourceVersion != "2" || got.UID != uid {
			t.Errorf("after the write: replicas %d status %d gen %d rv %s uid %s", *got.Spec.Replicas, got.Status.Replicas, got.Generation, got.ResourceVersion, got.UID)
		}
		if next.ResourceVersion != "2" {
			t.Errorf("caller's object rv %s, want 2", next.ResourceVersion)
		}
		if err := st.Update(func(tx *Tx) error { return tx.UpdateWithStatus(got) }); err != nil || st.ResourceVersion() != 2 {
			t.Errorf("equal write: %v, rv %d (want a no-op at 2)", err, st.ResourceVersion())
		}
		stale := got.DeepCopy()
		stale.ResourceVersion = "1"
		stale.Status.Replicas = 9
		if err := st.Update(func(tx *Tx) error { return tx.UpdateWithStatus(stale) }); !errors.Is(err, ErrConflict) {
			t.Errorf("stale write: %v, want ErrConflict", err)
		}
	})
}
