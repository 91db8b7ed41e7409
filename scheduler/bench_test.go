package scheduler

import (
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
