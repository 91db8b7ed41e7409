// Package controllers turns stored workloads into pods and pods into
// bindings: the Deployment, ReplicaSet, DaemonSet, StatefulSet, Job and
// CronJob controllers, Endpoints, garbage collection of objects whose
// controller owner is gone, node lifecycle (heartbeat timeout, evictions),
// event pruning and the runner of the scheduler.
//
// The decisions are pure functions over values and an injected clock:
//
//	ReconcileDeployment(d, replicaSets, now) Changes   // RollingUpdate/Recreate, progress deadline
//	ReconcileReplicaSet(rs, pods, suffixes, now) Changes
//	ReconcileDaemonSet(ds, pods, nodes, suffixes, now) Changes
//	ReconcileStatefulSet(sts, pods, now) Changes
//	ReconcileEndpoints(svc, stored, pods) Changes
//	Orphans(objects) []Object
//	ReconcileNode(node, renewed, grace, now) Changes; MarkHeartbeat(node, now)
//	NodeTaints(nodes, lifecycle, now); TaintEvictions(nodes, pods, defaultSeconds, now)
//	ReconcileJob(job, pods, suffix, now); ReconcileCronJob(cronJob, jobs, loc, now)
//
// Changes lists creates, updates, status updates, deletes (graceful),
// force deletes, scheduling bindings, event pruning and events; they are
// table- and golden-tested without a store.
//
// Registry (registry.go) is the one table of what runs: an entry per kind
// (its owner kinds, what else queues it, its Kubernetes component name,
// its pure step, its preview expansion for reconcile/preview, its health)
// and the built-in steps (#taints, #evictions, #gc, #events, #schedule). Adding a
// kind is one file with its pure step, Step adapter and expansion, plus
// one entry.
//
// Manager is the runner and the I/O edge, and the only writer. Its
// informer lists the kinds the table watches, watches the store from the
// list's resourceVersion into an in-memory cache and lists again when the
// watch is too old (store.ErrGone) or closed. A bounded level-based queue
// of dirty keys (a Pod event queues its controller, a ReplicaSet event its
// Deployment, Node and Pod events the scheduler, the deletion of an owner
// the garbage collector) retries failures with wait.Backoff. All steps run
// in one goroutine, in table order, so a new Deployment has bound pods
// within a few store transactions with no polling delay; the changes of
// many keys of one entry are written in few transactions, after which the
// runner reads the watch until it has seen its own write, so the next step
// never acts on input older than what it wrote (what Kubernetes'
// controllers need "expectations" for). A panic in a step is isolated to
// its key: logged with the key and stack, recorded as a ReconcilerPanic
// Warning event on the object, retried with backoff. A periodic resync
// re-runs everything so time-based rules fire.
package controllers
