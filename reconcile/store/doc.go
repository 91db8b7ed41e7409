// Package store keeps the objects of reconcile in Badger (v4), on one
// server, or on etcd (OpenEtcd, etcd.go): there etcd holds the ordered log
// of the store's transactions and this Badger database is the server's
// view applied from it, one Badger transaction per entry, so everything
// below holds on both engines (docs/internals.md, "The store on etcd").
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
// Badger options are chosen to fit a commit of Options.MaxTxnObjects
// objects (the per-commit limit of package schema, 10,000 by default) per
// transaction: on disk, values of 64 bytes or more go to the value log (a
// transaction then counts only about 40 bytes per object against Badger's
// batch limit), and the memtable holds that many objects, a third more
// (Service allocations, pruned objects) and 1,000 side records:
// Badger's limit is 15 % of the memtable in bytes and that over 96 bytes
// in entries, so 9 MiB at the default. It is no larger because Badger
// allocates a new memtable arena (1.3 times its size) from Go's heap at
// every flush, and Go zeroes the reused heap it comes from, so the whole
// arena is resident from the first flush on (gc.go); the GC's slower pace
// that the larger arena gave is kept explicitly while the process
// allocates fast, and Go's own otherwise (gcpace.go). In memory there is
// no value log, so the memtable is 256 MiB (batch limit about 38 MiB of
// JSON). A transaction that is still too large fails with ErrTxnTooBig,
// which names the limit; nothing of it is written.
//
// Old revisions (gc.go). NumVersionsToKeep is 1; value-log files are small
// (16 MiB, or twice the largest object) and collected every GCInterval
// (5 min) and at once after commits that overwrote or deleted 4 MiB of objects over 256 KiB:
// memtable flush, compaction, RunValueLogGC(0.5) until nothing is left to
// rewrite, then debug.FreeOSMemory. The watch history is bounded by bytes
// (Options.HistoryBytes, 64 MiB) as well as by count, a large object's
// events leave it when the object is deleted or replaced, and its Deleted
// event carries its metadata only. The decode cache keeps objects up to
// 256 KiB. So memory and disk come back after large objects go.
//
// Open waits (Options.LockWait, 30 s) for the directory lock of a process
// that is exiting, e.g. right after `kill -9`, logging "waiting for the
// lock of DIR held by a process that is exiting"; a live holder makes Open
// fail with ErrLocked, naming the directory, the process and what to do.
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
