package reconcile

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// storedFor is what the store holds after desired was applied by "main".
func storedFor(desired []Desired) []objects.Object {
	out := make([]objects.Object, len(desired))
	for i, d := range desired {
		out[i] = storedAs(d.Object, "main", d.Path)
	}
	return out
}

// BenchmarkPlan10kNew plans 10,000 objects against an empty store.
func BenchmarkPlan10kNew(b *testing.B) {
	d := manyDesired(10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := PlanChanges(d, nil, PlanOptions{Source: "main", Prune: true}); len(p.Changes) != 10000 {
			b.Fatal(len(p.Changes))
		}
	}
}

// BenchmarkPlan10kOneChange re-plans a 10,000-object source after a commit
// that changed one object.
func BenchmarkPlan10kOneChange(b *testing.B) {
	d := manyDesired(10000)
	stored := storedFor(d)
	d = manyDesired(10000)
	*d[4242].Object.(*appsv1.Deployment).Spec.Replicas = 7
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := PlanChanges(d, stored, PlanOptions{Source: "main", Prune: true}); len(p.Changes) != 1 {
			b.Fatal(len(p.Changes))
		}
	}
}

// BenchmarkApply10k applies a 10,000-object commit to a fresh on-disk store.
func BenchmarkApply10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b)
		d := manyDesired(10000)
		b.StartTimer()
		apply(b, st, "A", d, nil, ApplyOptions{Prune: true})
	}
}

// BenchmarkApply10kOneChange applies a commit changing one of 10,000
// stored objects (list + plan + one write).
func BenchmarkApply10kOneChange(b *testing.B) {
	st := openStore(b)
	apply(b, st, "A", manyDesired(10000), nil, ApplyOptions{Prune: true})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := manyDesired(10000)
		*d[i%10000].Object.(*appsv1.Deployment).Spec.Replicas = int32(3 + i%2)
		apply(b, st, "B", d, nil, ApplyOptions{Prune: true})
	}
}
