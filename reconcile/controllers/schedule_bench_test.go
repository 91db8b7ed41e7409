package controllers

import (
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/scheduler/schedbench"
)

// BenchmarkScheduleAndBind is the scheduling target end to end
// below the informer: the scheduler places 10,000 pending pods (a third
// with pod anti-affinity or spread constraints) on 1,000 nodes running
// 30,000 pods with every default plugin, and the runner's write path
// (splitBindings, writeChanges → writeBinding: re-read, spec.nodeName,
// PodScheduled, Scheduled event) writes the 10,000 bindings to a real
// Badger store in transactions of maxBindingsPerTx. Metrics: pods/s of
// the whole, and of each half (schedule-pods/s, bind-pods/s), by wall
// time; cpu-ms/op is the process CPU time of the whole.
func BenchmarkScheduleAndBind(b *testing.B) {
	nodes, bound0, pending0 := schedbench.Cluster(schedbench.Target)
	var sched, bind, cpu time.Duration
	for range b.N {
		b.StopTimer()
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		var all []*corev1.Pod
		all = append(append(all, bound0...), pending0...)
		for i := 0; i < len(all); i += 500 {
			write(b, st, func(tx *store.Tx) error {
				for _, p := range all[i:min(i+500, len(all))] {
					if err := tx.Create(p.DeepCopy()); err != nil {
						return err
					}
				}
				return nil
			})
		}
		// The scheduler sees the stored pods (with the uid the store gave
		// them), as the runner's informer does.
		objs, _, err := st.List("Pod", "")
		if err != nil {
			b.Fatal(err)
		}
		var stored []*corev1.Pod
		for _, o := range objs {
			stored = append(stored, o.(*corev1.Pod))
		}
		pending, bound := partitionPods(stored)
		if len(pending) != schedbench.Target.Pending {
			b.Fatalf("%d pending pods stored", len(pending))
		}
		runtime.GC() // the setup's garbage is not the scheduler's
		b.StartTimer()
		start, c0 := time.Now(), cpuTime()
		sc := scheduler.New() // as scheduleStep: with the system default spread
		sc.DefaultSpreadSelector = scheduler.DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
		res := sc.Schedule(pending, nodes, bound)
		var ch Changes
		for _, p := range pending {
			if n, ok := res.Bindings[scheduler.PodKey(p)]; ok {
				ch.Bindings = append(ch.Bindings, Binding{Pod: p, Node: n})
			}
		}
		if len(ch.Bindings) != len(pending) {
			b.Fatalf("%d of %d pods placed", len(ch.Bindings), len(pending))
		}
		mid := time.Now()
		for _, part := range splitBindings(ch, maxBindingsPerTx) {
			if err := st.Update(func(tx *store.Tx) error { return writeChanges(tx, part, "default-scheduler", mid) }); err != nil {
				b.Fatal(err)
			}
		}
		end := time.Now()
		sched, bind, cpu = sched+mid.Sub(start), bind+end.Sub(mid), cpu+cpuTime()-c0
		b.StopTimer()
		objs, _, err = st.List("Pod", "")
		if err != nil {
			b.Fatal(err)
		}
		boundNow := 0
		for _, o := range objs {
			if o.(*corev1.Pod).Spec.NodeName != "" {
				boundNow++
			}
		}
		if boundNow != len(all) {
			b.Fatalf("%d of %d pods bound in the store", boundNow, len(all))
		}
		st.Close()
	}
	n := float64(len(pending0) * b.N)
	b.ReportMetric(n/(sched+bind).Seconds(), "pods/s")
	b.ReportMetric(n/sched.Seconds(), "schedule-pods/s")
	b.ReportMetric(n/bind.Seconds(), "bind-pods/s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}
