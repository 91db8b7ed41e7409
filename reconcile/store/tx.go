package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Tx is one write transaction, valid only inside the function given to
// Store.Update. Reads see the transaction's own writes.
type Tx struct {
	st      *Store
	written map[string]bool // keys written here: never served from the cache
	txn     *badger.Txn
	rv      uint64 // last resourceVersion handed out in this transaction
	events  []Event
	// garbage estimates the bytes of old revisions this transaction leaves
	// behind (overwritten and deleted values), largeGarbage those of
	// objects over largeObject: the store's GC triggers (gc.go).
	garbage, largeGarbage int64
	// metaWritten: PutMeta or DeleteMeta ran (Store.MetaChanged).
	metaWritten bool
	// ops, on the etcd engine, captures the writes for the log (etcd.go).
	ops *[]logOp
	// undo restores the system metadata Create and Update set on the
	// caller's objects, before fn runs again (etcd.go).
	undo []func()
}

// Get returns the object under key as this transaction sees it.
func (tx *Tx) Get(key objects.Key) (objects.Object, error) {
	return tx.st.getObject(tx.txn, tx.written, key, false)
}

// List is Store.List inside the transaction.
func (tx *Tx) List(kind, namespace string) ([]objects.Object, error) {
	return tx.st.listObjects(tx.txn, tx.written, kind, namespace, false)
}

// ListShared is Store.ListShared inside the transaction: read-only objects
// shared with the cache; objects this transaction wrote are fresh copies.
func (tx *Tx) ListShared(kind, namespace string) ([]objects.Object, error) {
	return tx.st.listObjects(tx.txn, tx.written, kind, namespace, true)
}

// Create stores a new object: uid (random UUID), resourceVersion,
// generation 1 and creationTimestamp are set on o. ErrExists when the key
// is taken.
func (tx *Tx) Create(o objects.Object) error {
	return tx.CreateWith(o, CreateOptions{})
}

// Update replaces the metadata and spec of the stored object with o's,
// keeping the stored status, uid and creationTimestamp. A non-empty
// o.resourceVersion that is not the stored one is ErrConflict. The
// generation grows only when something other than metadata and status
// changed. Nothing is written (no new resourceVersion, no event) when the
// result equals what is stored. o's system metadata is set to the stored
// values.
func (tx *Tx) Update(o objects.Object) error {
	return tx.update(o, updateSpec)
}

// UpdateStatus replaces only the status of the stored object with o's.
// Same conflict and no-op rules as Update; the generation never changes.
func (tx *Tx) UpdateStatus(o objects.Object) error {
	return tx.update(o, updateStatus)
}

// updateMode says which halves of the stored object an update replaces.
type updateMode int

const (
	updateSpec   updateMode = iota // metadata and spec; the stored status stays
	updateStatus                   // status only; the generation never changes
	updateBoth                     // metadata, spec and status (UpdateWithStatus)
)

func (tx *Tx) update(o objects.Object, mode updateMode) error {
	key, err := validKey(o)
	if err != nil {
		return err
	}
	old, err := tx.st.getObject(tx.txn, tx.written, key, false)
	if err != nil {
		return err
	}
	if rv := o.GetResourceVersion(); rv != "" && rv != old.GetResourceVersion() {
		return fmt.Errorf("update %s (resourceVersion %s, stored %s): %w", key, rv, old.GetResourceVersion(), ErrConflict)
	}
	var next objects.Object
	if mode == updateStatus {
		next = objects.Copy(old)
		copyStatus(next, o)
	} else {
		next = objects.Copy(o)
		if mode == updateSpec {
			copyStatus(next, old)
		}
		next.SetUID(old.GetUID())
		next.SetCreationTimestamp(old.GetCreationTimestamp())
		next.SetGeneration(old.GetGeneration())
		next.SetResourceVersion(old.GetResourceVersion())
		objects.SetTypeMeta(next, key.Kind)
	}
	tx.remember(o)
	if sameObject(next, old) {
		setSystemMeta(o, old)
		return nil
	}
	if mode != updateStatus && !sameSpec(next, old) {
		next.SetGeneration(old.GetGeneration() + 1)
	}
	rv := tx.nextRV()
	next.SetResourceVersion(strconv.FormatUint(rv, 10))
	setSystemMeta(o, next)
	return tx.write(key, next, Modified, rv)
}

// Delete removes the object under key; ErrNotFound when there is none.
func (tx *Tx) Delete(key objects.Key) error {
	old, err := tx.st.getObject(tx.txn, tx.written, key, false)
	if err != nil {
		return err
	}
	size := int64(1024)
	if item, err := tx.txn.Get(objectKey(key)); err == nil {
		size = item.EstimatedSize()
	}
	tx.written[string(objectKey(key))] = true
	if err := tx.txn.Delete(objectKey(key)); err != nil {
		return tx.sizeErr(err)
	}
	tx.addGarbage(size)
	rv := tx.nextRV()
	tx.capture(logOp{del: true, ev: Deleted, key: objectKey(key), val: rvBytes(rv)})
	old.SetResourceVersion(strconv.FormatUint(rv, 10))
	ev := Event{Type: Deleted, Object: old, ResourceVersion: rv, size: size}
	if size > largeObject {
		ev.Object, ev.size, ev.supersedesLarge = metadataOnly(key.Kind, old), 1024, true
	}
	tx.events = append(tx.events, ev)
	return nil
}

// PutMeta stores v as JSON under the side-record key.
func (tx *Tx) PutMeta(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("meta %s: %w", key, err)
	}
	tx.metaWritten = true
	return tx.set([]byte("m/"+key), b)
}

// GetMeta decodes the side record under key into v; false when absent.
func (tx *Tx) GetMeta(key string, v any) (bool, error) { return getMeta(tx.txn, key, v) }

// DeleteMeta removes a side record; absent records are fine.
func (tx *Tx) DeleteMeta(key string) error {
	tx.metaWritten = true
	tx.capture(logOp{del: true, key: []byte("m/" + key)})
	return tx.sizeErr(tx.txn.Delete([]byte("m/" + key)))
}

func (tx *Tx) nextRV() uint64 { tx.rv++; return tx.rv }

func (tx *Tx) write(key objects.Key, o objects.Object, t EventType, rv uint64) error {
	return tx.writeAs(key, o, t, rv, objects.Copy(o))
}

// writeAs is write with the object the watch history keeps: a copy of
// o, or o itself when the store built it and nobody writes through it
// (BindPod), which saves a deep copy of every pod bound.
func (tx *Tx) writeAs(key objects.Key, o objects.Object, t EventType, rv uint64, kept objects.Object) error {
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := tx.set(objectKey(key), b); err != nil {
		return err
	}
	if tx.ops != nil {
		(*tx.ops)[len(*tx.ops)-1].ev = t
	}
	if t == Modified {
		tx.addGarbage(int64(len(b))) // the old revision, about as large
	}
	tx.events = append(tx.events, Event{Type: t, Object: kept, ResourceVersion: rv, size: int64(len(b)),
		supersedesLarge: t == Modified && len(b) > largeObject})
	return nil
}

func (tx *Tx) set(k, v []byte) error {
	tx.written[string(k)] = true
	tx.capture(logOp{key: k, val: v})
	return tx.sizeErr(tx.txn.Set(k, v))
}

func (tx *Tx) sizeErr(err error) error {
	if errors.Is(err, badger.ErrTxnTooBig) {
		return ErrTxnTooBig
	}
	return err
}

func validKey(o objects.Object) (objects.Key, error) {
	key := objects.KeyOf(o)
	info, ok := objects.Info(key.Kind)
	switch {
	case !ok:
		return key, fmt.Errorf("store %q: unknown kind %q (set apiVersion and kind)", key, key.Kind)
	case key.Name == "":
		return key, fmt.Errorf("store %s: metadata.name is empty", key)
	case info.Namespaced && key.Namespace == "":
		return key, fmt.Errorf("store %s: %s is namespaced but metadata.namespace is empty", key, key.Kind)
	case !info.Namespaced && key.Namespace != "":
		return key, fmt.Errorf("store %s: %s is cluster-scoped; remove metadata.namespace", key, key.Kind)
	}
	return key, nil
}

func setSystemMeta(dst, src objects.Object) {
	dst.SetUID(src.GetUID())
	dst.SetResourceVersion(src.GetResourceVersion())
	dst.SetGeneration(src.GetGeneration())
	dst.SetCreationTimestamp(src.GetCreationTimestamp())
}

func newUID() types.UID { return types.UID(uuid.NewString()) }

func (tx *Tx) addGarbage(n int64) {
	tx.garbage += n
	if n > largeObject {
		tx.largeGarbage += n
	}
}

// capture records a write for the log when the store is on etcd.
func (tx *Tx) capture(op logOp) {
	if tx.ops != nil {
		*tx.ops = append(*tx.ops, op)
	}
}

// remember saves the system metadata of an object the caller passed, on
// the etcd engine, where fn may run again: the store sets uid,
// resourceVersion, generation and creationTimestamp on it, and the next
// run must start from what the caller gave.
func (tx *Tx) remember(o objects.Object) {
	if tx.ops == nil {
		return
	}
	uid, rv, gen, ts := o.GetUID(), o.GetResourceVersion(), o.GetGeneration(), o.GetCreationTimestamp()
	tx.undo = append(tx.undo, func() {
		o.SetUID(uid)
		o.SetResourceVersion(rv)
		o.SetGeneration(gen)
		o.SetCreationTimestamp(ts)
	})
}

// undoArgs restores the caller's objects before fn runs again.
func (tx *Tx) undoArgs() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		tx.undo[i]()
	}
}
