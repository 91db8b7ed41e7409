package reconcile

import (
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The speed targets (issue 2): plan 10,000 objects in at most 200 ms;
// re-plan after a one-file change in a 10,000-manifest repo in at most
// 50 ms, of which schema re-validation takes about 25 ms. Reproduce with
//
//	go test -run '^$' -bench . ./reconcile/
//
// Besides wall time each benchmark reports cpu-ms/op, the process's user
// plus system CPU time per operation (GC included), which other processes
// on a loaded machine do not stretch.

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter adds up CPU time of the measured parts of a benchmark.
type cpuMeter struct {
	total, started time.Duration
}

func (m *cpuMeter) start() { m.started = cpuTime() }
func (m *cpuMeter) stop()  { m.total += cpuTime() - m.started }
func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.total.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// storedFor is what the store holds after desired was applied by "main".
func storedFor(desired []Desired) []objects.Object {
	out := make([]objects.Object, len(desired))
	for i, d := range desired {
		out[i] = storedAs(d.Object, "main", d.Path)
	}
	return out
}

// withChange returns a copy of d in which object j is a new object with
// one more replica: what the schema package returns after a commit that
// edited one file (every other pointer the same).
func withChange(d []Desired, j int) []Desired {
	out := append([]Desired(nil), d...)
	o := objects.Copy(d[j].Object)
	*o.(*appsv1.Deployment).Spec.Replicas++
	out[j].Object = o
	return out
}

// BenchmarkPlan10k is the stateless planner (PlanChanges) on 10,000
// objects: all new, and all stored with one changed (every spec compared).
func BenchmarkPlan10k(b *testing.B) {
	b.Run("new", func(b *testing.B) {
		d := manyDesired(10000)
		var cpu cpuMeter
		b.ResetTimer()
		cpu.start()
		for i := 0; i < b.N; i++ {
			if p := PlanChanges(d, nil, PlanOptions{Source: "main", Prune: true}); len(p.Changes) != 10000 {
				b.Fatal(len(p.Changes))
			}
		}
		cpu.stop()
		cpu.report(b)
	})
	b.Run("oneChange", func(b *testing.B) {
		d := manyDesired(10000)
		stored := storedFor(d)
		d = withChange(manyDesired(10000), 4242)
		var cpu cpuMeter
		b.ResetTimer()
		cpu.start()
		for i := 0; i < b.N; i++ {
			if p := PlanChanges(d, stored, PlanOptions{Source: "main", Prune: true}); len(p.Changes) != 1 {
				b.Fatal(len(p.Changes))
			}
		}
		cpu.stop()
		cpu.report(b)
	})
}

// BenchmarkReplanOneChange10k re-plans with a Planner that planned the
// previous commit: each commit changes one file (a new pointer for one
// object, the other 9,999 pointers shared), so the spec of the changed
// object and of the one changed the commit before are compared.
func BenchmarkReplanOneChange10k(b *testing.B) {
	base := manyDesired(10000)
	stored := storedFor(base) // each with its uid and generation 1
	pl := NewPlanner()
	opts := PlanOptions{Source: "main", Prune: true}
	if p := pl.Plan(base, stored, opts); p.Unchanged != 10000 {
		b.Fatal(summarise(p))
	}
	var cpu cpuMeter
	b.ResetTimer()
	cpu.start()
	for i := 0; i < b.N; i++ {
		d := withChange(base, (i*7919)%10000)
		if p := pl.Plan(d, stored, opts); len(p.Changes) != 1 || p.Unchanged != 9999 {
			b.Fatal(summarise(p))
		}
	}
	cpu.stop()
	cpu.report(b)
}

// BenchmarkApply10k applies a 10,000-object commit to a fresh on-disk store.
// Each store is closed before the next opens: open ones (with 10,000
// objects cached and Badger's memtable each) made the live heap, and so
// the GC's pace, depend on b.N.
func BenchmarkApply10k(b *testing.B) {
	var cpu cpuMeter
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		d := manyDesired(10000)
		b.StartTimer()
		cpu.start()
		apply(b, st, "A", d, nil, ApplyOptions{Prune: true})
		cpu.stop()
		b.StopTimer()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	cpu.report(b)
}

// BenchmarkPersist10k is the whole cost of persisting 10,000 new objects:
// open a fresh on-disk store, apply them in one commit, close the store
// (which waits for Badger's flushes). Apply10k measures the commit alone,
// so a memtable flush that happens in Close (a memtable that holds the
// whole commit) or in Open (zeroing its arena) escapes it; this figure
// does not let the cost move out of the measured region.
func BenchmarkPersist10k(b *testing.B) {
	var cpu cpuMeter
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		d := manyDesired(10000)
		b.StartTimer()
		cpu.start()
		st, err := store.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		apply(b, st, "A", d, nil, ApplyOptions{Prune: true})
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
	}
	cpu.report(b)
}

// BenchmarkApplyOneChange10k applies commits that each change one of
// 10,000 objects, on an on-disk Badger store with a warm cache (list,
// plan, one write, the source status, commit): with a long-lived Applier
// (the controller) and with a new one per commit (no memory).
func BenchmarkApplyOneChange10k(b *testing.B) {
	for _, bc := range []struct {
		name    string
		applier func(a *Applier) *Applier
	}{
		{"applier", func(a *Applier) *Applier { return a }},
		{"stateless", func(a *Applier) *Applier { return NewApplier(a.st) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st := openStore(b)
			a := NewApplier(st)
			d := manyDesired(10000)
			a.Apply(src, commit("A"), d, nil, ApplyOptions{Prune: true})
			a.Apply(src, commit("A"), d, nil, ApplyOptions{Prune: true}) // decodes the 10,000 written objects once
			var cpu cpuMeter
			b.ResetTimer()
			cpu.start()
			for i := 0; i < b.N; i++ {
				d = withChange(d, (i*7919)%10000)
				res, err := bc.applier(a).Apply(src, commit("B"), d, nil, ApplyOptions{Prune: true})
				if err != nil || res.Updated != 1 || res.Unchanged != 9999 {
					b.Fatal(err, res.Created, res.Updated, res.Deleted)
				}
			}
			cpu.stop()
			cpu.report(b)
		})
	}
}
