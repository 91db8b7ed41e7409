package controllers

import (
	"time"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Changes is what one pure reconcile step asks the runner to write. The
// runner writes one step's changes in one store transaction.
type Changes struct {
	// Create lists new objects (name, namespace, labels, owners, spec).
	Create []objects.Object
	// Update lists objects whose metadata or spec changed; each carries
	// the resourceVersion it was read at, so a concurrent change is a
	// conflict and the step runs again on fresh input.
	Update []objects.Object
	// UpdateStatus lists objects whose status changed.
	UpdateStatus []objects.Object
	// Delete lists objects to remove; the runner deletes only if the
	// stored object still has the same uid. Pods are deleted gracefully
	// (store.Tx.DeletePodGracefully).
	Delete []objects.Object
	// Events are recorded in the same transaction (events.go).
	Events []Event
	// RequeueAfter > 0 asks to run the step again after that long even
	// if nothing changes (e.g. a pod becomes available after
	// minReadySeconds).
	RequeueAfter time.Duration
	// Requeue asks to run the step again at once: the step capped its
	// work (a large scale-up is created in batches).
	Requeue bool
}

// Empty reports whether there is nothing to write.
func (c Changes) Empty() bool {
	return len(c.Create) == 0 && len(c.Update) == 0 && len(c.UpdateStatus) == 0 && len(c.Delete) == 0 && len(c.Events) == 0
}

func (c *Changes) requeueAfter(d time.Duration) {
	if d > 0 && (c.RequeueAfter == 0 || d < c.RequeueAfter) {
		c.RequeueAfter = d
	}
}
