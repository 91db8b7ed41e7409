package scheduler

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/scheduler/schedbench"
)

// BenchmarkSchedule places the 10,000 pending pods (a third with
// pod anti-affinity or spread constraints) on 1,000 nodes running 30,000
// pods with every default plugin. pods/s is by wall time; pods/cpu-s by
// the process's CPU time, the figure that does not depend on what else
// the machine runs (Schedule is single-threaded). The bindings' store
// writes are measured by reconcile/controllers' BenchmarkScheduleAndBind.
func BenchmarkSchedule(b *testing.B) {
	nodes, bound, pending := schedbench.Cluster(schedbench.Target)
	s := New()
	var cpu time.Duration
	for b.Loop() {
		start := processCPU()
		// As the controllers' step: system default spread over the apps'
		// ReplicaSets for the pods without constraints of their own.
		s.DefaultSpreadSelector = DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
		res := s.Schedule(pending, nodes, bound)
		cpu += processCPU() - start
		for k, f := range res.Unschedulable {
			b.Fatalf("%s unschedulable: %s", k, f.Message)
		}
	}
	b.ReportMetric(float64(len(pending))*float64(b.N)/b.Elapsed().Seconds(), "pods/s")
	b.ReportMetric(float64(len(pending))*float64(b.N)/cpu.Seconds(), "pods/cpu-s")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSchedule5000 is issue 13's cluster size: 10,000 Deployment pods
// (all but the first app's 100, which have pod anti-affinity, without
// constraints of their own: Kubernetes' system default spread) onto
// 5,000 nodes running 50,000 pods, the filter stage sampling 10 % of the
// nodes per pod (numFeasibleNodesToFind).
func BenchmarkSchedule5000(b *testing.B) {
	nodes, bound, pending := schedbench.Cluster(schedbench.Shape{Nodes: 5000, Zones: 10, Bound: 50000, Pending: 10000,
		ReplicasPerApp: 100, ConstrainedEvery: 1 << 30})
	s := New()
	s.Parallelism = benchParallelism()
	var cpu time.Duration
	for b.Loop() {
		start := processCPU()
		s.DefaultSpreadSelector = DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
		res := s.Schedule(pending, nodes, bound)
		cpu += processCPU() - start
		if len(res.Bindings) != len(pending) {
			b.Fatalf("%d of %d pods placed", len(res.Bindings), len(pending))
		}
	}
	b.ReportMetric(float64(len(pending))*float64(b.N)/b.Elapsed().Seconds(), "pods/s")
	b.ReportMetric(float64(len(pending))*float64(b.N)/cpu.Seconds(), "pods/cpu-s")
}

// benchParallelism is Scheduler.Parallelism for the benchmarks, from
// SCHED_PARALLELISM (default 0: one goroutine), to compare on one machine.
func benchParallelism() int {
	n, _ := strconv.Atoi(os.Getenv("SCHED_PARALLELISM"))
	return n
}

// BenchmarkPass5000 is one scheduling pass of 10 pods at issue 13's full
// size (5,000 nodes running 150,000 pods): "rebuild" builds the node
// infos from every node and bound pod, as each pass did before the
// Snapshot; "kept" places them on a Snapshot kept across passes (what
// the controllers do now). ms/pass is by the process's CPU time.
func BenchmarkPass5000(b *testing.B) {
	nodes, bound, pending := schedbench.Cluster(schedbench.Shape{Nodes: 5000, Zones: 10, Bound: 150000, Pending: 10000,
		ReplicasPerApp: 100, ConstrainedEvery: 1 << 30})
	s := New()
	s.Parallelism = benchParallelism()
	s.DefaultSpreadSelector = DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
	for _, mode := range []string{"rebuild", "kept"} {
		b.Run(mode, func(b *testing.B) {
			snap := NewSnapshot(nodes, bound)
			var cpu time.Duration
			i := 0
			for b.Loop() {
				batch := pending[i%len(pending) : i%len(pending)+10]
				i += 10
				start := processCPU()
				var res Result
				if mode == "rebuild" {
					res = s.Schedule(batch, nodes, bound)
				} else {
					res = s.ScheduleOn(snap, batch)
				}
				cpu += processCPU() - start
				if len(res.Bindings) != len(batch) {
					b.Fatalf("%d of %d pods placed", len(res.Bindings), len(batch))
				}
			}
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/pass")
		})
	}
}
