package scheduler

import (
	"testing"

	"github.com/reconcile-dev/reconcile/scheduler/schedbench"
)

// BenchmarkSchedule places the 10,000 pending pods (a third with
// pod anti-affinity or spread constraints) on 1,000 nodes running 30,000
// pods with every default plugin; pods/s is the figure of the target.
// The bindings' store writes are measured by reconcile/controllers'
// BenchmarkScheduleAndBind.
func BenchmarkSchedule(b *testing.B) {
	nodes, bound, pending := schedbench.Cluster(schedbench.Target)
	var placed int
	for b.Loop() {
		res := Schedule(pending, nodes, bound)
		placed = len(res.Bindings)
		if len(res.Unschedulable) > 0 {
			for k, f := range res.Unschedulable {
				b.Fatalf("%s unschedulable: %s", k, f.Message)
			}
		}
	}
	b.ReportMetric(float64(len(pending))*float64(b.N)/b.Elapsed().Seconds(), "pods/s")
	_ = placed
}
