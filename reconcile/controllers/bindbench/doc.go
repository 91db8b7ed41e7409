// Package bindbench measures issue 13's scheduling target in one process:
// a real Badger store on disk, Ready nodes written straight into it (no
// agents: what is measured is the controller's side), Deployments
// committed in one transaction, and the controllers' Manager expanding
// them into ReplicaSets and pods and the scheduler binding every pod.
// Run returns pods bound per second and the time from the commit to the
// last binding; the controllers' BenchmarkBindScale and the scale
// benchmark's plots (throughput against cluster size) both call it.
package bindbench
