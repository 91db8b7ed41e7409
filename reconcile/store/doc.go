// Package store keeps the objects of reconcile in Badger (v4).
//
// Every object is one Badger key, "o/<Kind>/<namespace>/<name>", holding the
// object's JSON; side records (source status, allocations, history) live
// under "m/<key>"; the store-wide resourceVersion counter lives under
// "s/rv". A write transaction (Store.Update) is one Badger transaction:
// every object it writes gets the next resourceVersion, the counter is
// written in the same transaction, and the watch events are published only
// after the commit succeeded. Writers are serialised by a mutex, which keeps
// the counter trivially monotonic and the events totally ordered; Badger's
// own conflict detection is therefore switched off.
//
// Sizes. One commit of a git source must land in one transaction, so the
// Badger options are chosen to fit at least 10,000 objects per transaction:
// on disk, values of 256 bytes or more go to the value log (a transaction
// then counts only about 40 bytes per object against Badger's batch limit)
// and the memtable is 128 MiB (batch limit about 19 MiB). In memory there is
// no value log, so the memtable is 256 MiB (batch limit about 38 MiB of
// JSON). A transaction that is still too large fails with ErrTxnTooBig,
// which names the limit; nothing of it is written.
//
// Watch serves events from a bounded in-memory history (Options.History,
// 10,000 events by default). A watcher reads that history at its own pace
// in its own goroutine, so a slow watcher never blocks a writer; one that
// falls behind the history has its channel closed and must list again.
// After a restart the history is empty, so a watch from an older
// resourceVersion returns ErrGone.
//
// Objects returned by Get, List and Watch are fresh copies owned by the
// caller. ListShared (Store and Tx) returns the decoded-object cache's own
// objects instead, without copying: read-only, for callers that read many
// and change few (the planner). Create and Update set uid, resourceVersion, generation and
// creationTimestamp on the object passed in, so the caller sees what was
// stored.
package store
