// Package preview answers, before a change is committed, where the pods it
// would create go: as `nomad job plan` does. It is pure: the plan's new
// workloads are expanded into pods by the controllers registry
// (controllers.Expand: each kind's entry runs its own pure steps to a
// fixed point with every created pod assumed running and ready; a kind
// without a preview expansion makes no pods), and the pending ones are
// placed by the scheduler's pure Schedule over the live nodes and pods.
//
// Only what a change adds is previewed: created workloads and bare pods,
// and the extra replicas of a workload whose replicas grow. Pods that
// replace others in a rolling update are not: the old ones free their
// place as the new ones start, which a one-shot placement cannot show.
package preview
