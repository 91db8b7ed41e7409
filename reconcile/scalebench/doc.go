// Package scalebench is the scale benchmark of issue 13 (`reconcile bench
// scale`, `make bench-scale`): for each cluster size it starts the real
// controller binary as a subprocess (own data directory, random loopback
// ports), simulated nodes in two more processes (`reconcile agent
// --simulate`, agent/hollow), commits Deployments totalling PodsPerNode
// pods per node to a real git repo the controller syncs, and measures, phase
// by phase: nodes Ready, the controller's idle CPU with every node
// heartbeating, commit → every pod Running with the scheduling throughput
// (pods bound per second, seen on the API's watch), watch fan-out latency
// (a pod status write → every watcher of that pod's node saw it), a rolling
// update of every Deployment, and the loss of part of the fleet at once
// (evictions and rescheduling). For each phase it records the controller's
// CPU (from /proc/PID/stat), peak RSS (VmHWM), API requests per second (the
// controller's /metrics) and how far it got.
//
// The controller is expected to break at some size: every phase has a
// timeout, records what it reached and the error, and the phases that
// depend on it are skipped; processes are always stopped. Results are
// written as JSON (Result, one SizeResult per size) after every size;
// package scaleplot (cmd/reconcile-plot) plots them against cluster size,
// outside the product binary.
//
// The pure parts (layout of pods and subnets, percentiles, throughput) are
// in layout.go and stats.go; run.go is the flow.
package scalebench
