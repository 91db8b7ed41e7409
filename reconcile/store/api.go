package store

// This file is the contract of the store that the controllers, the
// scheduler loop, the apply step and the API server are written against.
// The implementation lives in the other files of this package.

import (
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The store's errors are the API's vocabulary (reconcile/apierrors), so the
// API server maps them to HTTP codes by reason and errors.Is(err,
// store.ErrNotFound) also holds for an error the API client decoded.
var (
	// ErrNotFound: no object under that key.
	ErrNotFound = apierrors.ErrNotFound
	// ErrExists: Create of a key that is already stored.
	ErrExists = apierrors.ErrExists
	// ErrConflict: Update with a resourceVersion that is no longer current.
	ErrConflict = apierrors.ErrConflict
	// ErrGone: Watch from a resourceVersion older than the retained history;
	// list again and watch from the list's resourceVersion.
	ErrGone = apierrors.ErrGone
)

// EventType says what happened to an object.
type EventType string

const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Event is one change, delivered by Watch in resourceVersion order.
// For Deleted, Object is the last stored state.
type Event struct {
	Type            EventType      `json:"type"`
	Object          objects.Object `json:"object"`
	ResourceVersion uint64         `json:"resourceVersion"`
	// size is the object's encoded size: the watch history is bounded by
	// bytes as well as by count.
	size int64
	// supersedesLarge: this event replaces a large object (watch.go).
	supersedesLarge bool
}

// MetaRecord is one side record returned by ListMeta.
type MetaRecord struct {
	Key   string
	Value []byte // the JSON written by PutMeta
}
