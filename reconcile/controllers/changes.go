package controllers

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Changes is what one pure reconcile step asks the runner to write. The
// runner alone writes: one step's changes go into one store transaction
// (several steps' changes may share one; see Manager.writeSteps).
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
	// ForceDelete lists objects removed at once, without graceful
	// deletion (uid-checked like Delete): the pods of a node lost past
	// the eviction timeout, whose agent will never finalize them.
	ForceDelete []objects.Object
	// Bindings are scheduling results. The runner re-reads each pod in
	// the transaction and skips one that was deleted, replaced or bound
	// meanwhile (see writeBinding).
	Bindings []Binding
	// Assumed: the Bindings to a node are assumed in the scheduler's
	// snapshot; the runner hands them to its binder goroutine without
	// waiting for the watch (binder.go).
	Assumed bool
	// PruneEvents asks the runner to bound the event history
	// (events.Prune) in the same transaction.
	PruneEvents bool
	// Events are recorded in the same transaction (events.go).
	Events []Event
	// RequeueAfter > 0 asks to run the step again after that long even
	// if nothing changes (e.g. a pod becomes available after
	// minReadySeconds).
	RequeueAfter time.Duration
	// Requeue asks to run the step again at once: the step capped its
	// work (a large scale-up is created in batches).
	Requeue bool
	// Scheduling is what a scheduler run decided, for the runner's
	// Observer (metrics); it writes nothing.
	Scheduling *SchedulingStats
}

// Binding is one scheduling result for a pending pod: with Node set, the
// pod is bound there (spec.nodeName, PodScheduled=True, event Scheduled);
// with Node empty, it fits nowhere (PodScheduled=False, reason
// Unschedulable, Message; event FailedScheduling).
type Binding struct {
	Pod     *corev1.Pod
	Node    string
	Message string
}

// Empty reports whether there is nothing to write.
func (c Changes) Empty() bool {
	return c.size() == 0 && len(c.Events) == 0 && !c.PruneEvents
}

// size is how many objects the changes write (an event's write is not
// counted; a binding writes spec and status).
func (c Changes) size() int {
	return len(c.Create) + len(c.Update) + len(c.UpdateStatus) + len(c.Delete) + len(c.ForceDelete) + 2*len(c.Bindings)
}

func (c *Changes) requeueAfter(d time.Duration) {
	if d > 0 && (c.RequeueAfter == 0 || d < c.RequeueAfter) {
		c.RequeueAfter = d
	}
}
