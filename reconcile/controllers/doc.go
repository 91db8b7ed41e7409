// Package controllers turns stored workloads into pods and pods into
// bindings: the Deployment, ReplicaSet, DaemonSet and StatefulSet
// controllers, garbage collection of objects whose controller owner is
// gone, node lifecycle (heartbeat timeout) and the runner of the scheduler.
//
// The decisions are pure functions over values and an injected clock:
//
//	ReconcileDeployment(d, replicaSets, now) Changes   // RollingUpdate/Recreate, progress deadline
//	ReconcileReplicaSet(rs, pods, suffixes, now) Changes
//	ReconcileDaemonSet(ds, pods, nodes, suffixes, now) Changes
//	ReconcileStatefulSet(sts, pods, now) Changes
//	Orphans(objects) []Object
//	ReconcileNode(node, now) Changes; MarkHeartbeat(node, now); NodesToEvict(nodes, now)
//	ReconcileJob(job, pods, suffix, now); ReconcileCronJob(cronJob, jobs, loc, now)
//
// Changes lists creates, updates, status updates and deletes; they are
// table- and golden-tested without a store.
//
// Manager is the I/O edge. It lists the watched kinds, watches the store
// from the list's resourceVersion into an in-memory cache and keeps a
// level-based queue of dirty keys: a Pod event requeues its ReplicaSet, a
// ReplicaSet event its Deployment, Node and Pod events the scheduler, the
// deletion of an owner the garbage collector. All steps run in one
// goroutine; each step's changes are written in one st.Update transaction,
// after which the manager reads the watch until it has seen its own write,
// so the next step never acts on input older than what it wrote (what
// Kubernetes' controllers need "expectations" for). Events that arrive
// together are drained before a pass, and one pass runs Deployment →
// ReplicaSet → scheduler, so a new Deployment has bound pods within a few
// store transactions, with no polling delay. Conflicts requeue the key;
// a watch that ends (ErrGone, fell behind) leads to a fresh list. A
// periodic resync re-runs everything so time-based rules fire.
package controllers
