package store

import "github.com/reconcile-dev/reconcile/schema/objects"

// UpdateWithStatus is Update and UpdateStatus in one write: o's metadata,
// spec and status replace the stored ones (uid, creationTimestamp and
// resourceVersion stay the store's; the generation grows when the spec
// changed). It is for a writer that owns both halves of one change, such
// as the scheduler's binding (spec.nodeName with the PodScheduled
// condition): one resourceVersion, one watch event, one comparison and one
// encoding instead of two. Same conflict and no-op rules as Update.
func (tx *Tx) UpdateWithStatus(o objects.Object) error {
	return tx.update(o, updateBoth)
}
