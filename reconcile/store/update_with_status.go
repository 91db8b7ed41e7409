package store

import (
	"fmt"
	"strconv"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// UpdateWithStatus is Update and UpdateStatus in one write: o's metadata,
// spec and status replace the stored ones (uid, creationTimestamp and
// resourceVersion stay the store's; the generation grows when the spec
// changed). It is for a writer that owns both halves of one change, such
// as the scheduler's binding (spec.nodeName with the PodScheduled
// condition): one resourceVersion, one watch event, one comparison and one
// encoding instead of two. Same conflict and no-op rules as Update.
func (tx *Tx) UpdateWithStatus(o objects.Object) error {
	key, err := validKey(o)
	if err != nil {
		return err
	}
	old, err := tx.st.getObject(tx.txn, tx.written, key)
	if err != nil {
		return err
	}
	if rv := o.GetResourceVersion(); rv != "" && rv != old.GetResourceVersion() {
		return fmt.Errorf("update %s (resourceVersion %s, stored %s): %w", key, rv, old.GetResourceVersion(), ErrConflict)
	}
	next := objects.Copy(o)
	next.SetUID(old.GetUID())
	next.SetCreationTimestamp(old.GetCreationTimestamp())
	next.SetGeneration(old.GetGeneration())
	next.SetResourceVersion(old.GetResourceVersion())
	objects.SetTypeMeta(next, key.Kind)
	if sameObject(next, old) {
		setSystemMeta(o, old)
		return nil
	}
	if !sameSpec(next, old) {
		next.SetGeneration(old.GetGeneration() + 1)
	}
	rv := tx.nextRV()
	next.SetResourceVersion(strconv.FormatUint(rv, 10))
	setSystemMeta(o, next)
	return tx.write(key, next, Modified, rv)
}
