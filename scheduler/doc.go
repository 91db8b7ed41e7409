// Package scheduler places pending pods onto nodes. It is pure: Schedule
// takes the pending pods, the nodes and the pods already bound, and returns
// bindings plus, for every pod that fits nowhere, the reason each node
// refused it. The runner that reads the store and writes bindings lives in
// reconcile/controllers.
//
// The structure follows the Kubernetes scheduler framework: one small
// interface per extension point (FilterPlugin, ScorePlugin). Filters run
// cheapest first and stop at the first rejection, like Nomad's feasibility
// chain, so every rejected node has exactly one reason per failed check and
// the unschedulable message reads like Kubernetes':
//
//	0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were not ready.
//
// Pods placed in one Schedule call account for each other: each binding adds
// the pod's requests to its node before the next pod is placed.
package scheduler
