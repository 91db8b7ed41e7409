// Package reconcile turns a validated git commit into store writes.
//
// The planner (PlanChanges) is pure: desired objects of one commit of one
// source and the stored objects in, a Plan of creates, updates and deletes
// with field-level changes out. Apply is the I/O edge: one store
// transaction lists, plans, writes and records the source's status.
//
// Speed. A Planner is PlanChanges with a memory of verdicts ("this desired
// object has the spec of the stored object with this uid and generation",
// "is unchanged against this resourceVersion"), so that re-planning a
// commit that changed one file of 10,000 compares one spec: the schema
// package hands out the same object pointers for unchanged files. An
// Applier (NewApplier, one per store, long-lived) applies with a Planner
// and lists the stored objects with store.Tx.ListShared (the store's
// cached objects, read-only, no copies); the plan it returns holds copies.
// Neither the planner nor the Applier ever modifies desired or stored
// objects: both are shared with caches. Apply (the function) is a
// memory-less convenience. Figures: bench_test.go, commit_bench_test.go.
//
// Decisions worth knowing:
//
//   - Ownership. Objects a source writes carry reconcile.dev/source (its
//     name) and reconcile.dev/source-path (the file). Pruning deletes only
//     objects with this source's name. Desiring an object another source
//     owns, or one a controller created, is a PlanError and the whole commit
//     is refused (like an invalid commit): silently taking it over would make
//     two sources fight. A stored object with no owner at all (made by hand)
//     is adopted.
//   - The commit annotation (reconcile.dev/commit) records the commit that
//     last created or changed an object. It is stamped only on objects the
//     plan writes and never compared, so a new commit does not rewrite every
//     object.
//   - What is compared: labels, annotations and everything outside metadata
//     and status, with Kubernetes' semantic equality (nil equals empty,
//     quantities by value). Annotations under deployment.kubernetes.io/ and
//     reconcile.dev/ that the manifest does not set belong to the system:
//     neither compared nor removed. Spec fields the system assigns and the
//     manifest leaves empty keep their stored values: a Pod's nodeName, a
//     Service's clusterIP(s), IP families and nodePorts.
//   - Empty commits prune nothing unless the source allows it: an emptied
//     or mis-pointed path must not delete a running system.
//   - Field paths: map keys joined by dots (["…"] for keys with dots or
//     slashes), list items by [name] when every item has a unique name (as
//     Kubernetes merges containers, env, volumes), else by [index].
//   - Secrets: values under a Secret's data and stringData appear only as
//     "(value hidden)" (set or removed) and "(value hidden, changed)" in
//     every field change and so in every rendering: no value and no hash of
//     one (a hash of a short value gives it away). Change.Object and
//     Change.Old still hold the real values and are never rendered.
//
// Renderers: RenderText (terminal, optional colour), RenderMarkdown (a PR
// comment) and RenderJSON (schema JSONPlan, version 1).
package reconcile
