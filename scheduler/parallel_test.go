package scheduler

import (
	"maps"
	"testing"

	"github.com/reconcile-dev/reconcile/scheduler/schedbench"
)

// TestParallelPlacesAsSequential: filtering and scoring with several
// workers places every pod where one goroutine does (same sampled walk,
// same scores), constrained pods included. Run it with -race.
func TestParallelPlacesAsSequential(t *testing.T) {
	nodes, bound, pending := schedbench.Cluster(schedbench.Shape{Nodes: 600, Zones: 5, Bound: 3000, Pending: 1200, ReplicasPerApp: 100, ConstrainedEvery: 2})
	want := New()
	want.DefaultSpreadSelector = DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
	seq := want.Schedule(pending, nodes, bound)
	for _, workers := range []int{2, 3, 16} {
		s := *want
		s.Parallelism = workers
		got := s.Schedule(pending, nodes, bound)
		if !maps.Equal(got.Bindings, seq.Bindings) || len(got.Unschedulable) != len(seq.Unschedulable) {
			t.Fatalf("parallelism %d: %d placed (%d unschedulable), sequential %d (%d); first difference: %s", workers,
				len(got.Bindings), len(got.Unschedulable), len(seq.Bindings), len(seq.Unschedulable), firstDifference(got.Bindings, seq.Bindings))
		}
	}
	if len(seq.Bindings) < len(pending)/2 {
		t.Fatalf("only %d of %d placed: the cluster does not exercise the walk", len(seq.Bindings), len(pending))
	}
}
