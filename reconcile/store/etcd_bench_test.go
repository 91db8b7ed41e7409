package store

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
)

// BenchmarkUpdateOneObject is the latency of one Update that changes one
// object, on each engine (etcd: one embedded member, and three).
func BenchmarkUpdateOneObject(b *testing.B) {
	run := func(b *testing.B, st *Store) {
		cm := configMap("default", "a", map[string]string{"n": "0"})
		create(b, st, cm)
		i := 0
		for b.Loop() {
			i++
			cm.Data["n"] = itoa(i)
			update(b, st, cm, false)
		}
	}
	for _, be := range backends[:2] {
		b.Run(be.name, func(b *testing.B) { run(b, be.open(b)) })
	}
	for _, members := range []int{1, 3} {
		b.Run("etcd-members="+itoa(members), func(b *testing.B) {
			c := etcdtest.StartCluster(b, members)
			st, err := OpenEtcd(b.TempDir(), c.Client(b), Options{}, EtcdOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			run(b, st)
		})
	}
}

// BenchmarkCreate10kOneTransactionEtcd3 is BenchmarkCreate10kOneTransaction
// on three embedded members: a ~15 MB entry written in parts (up to
// chunkWrites at once), then the small transaction; the view in memory.
func BenchmarkCreate10kOneTransactionEtcd3(b *testing.B) {
	c := etcdtest.StartCluster(b, 3)
	cli := c.Client(b)
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		st, err := OpenEtcd("", cli, Options{}, EtcdOptions{Prefix: "/create10k/" + itoa(n) + "/"})
		if err != nil {
			b.Fatal(err)
		}
		objs := manyDeployments(10000)
		b.StartTimer()
		create(b, st, objs...)
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkUpdateConcurrent is Updates from 16 goroutines at once, each
// changing its own object, on three embedded members: how many Updates a
// second the store takes when writers overlap (group commit: one log entry
// for the Updates queued meanwhile). ns/op is per Update; ms-p50 and
// ms-p90 are the time one Update takes as its caller sees it (a writer
// doing Updates one after another, as an agent writing its pods' statuses,
// waits that long for each).
func BenchmarkUpdateConcurrent(b *testing.B) {
	c := etcdtest.StartCluster(b, 3)
	st, err := OpenEtcd(b.TempDir(), c.Client(b), Options{}, EtcdOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var next atomic.Int64
	var mu sync.Mutex
	var took []time.Duration
	b.SetParallelism(8) // 16 goroutines on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		cm := configMap("default", "w"+itoa(int(next.Add(1))), map[string]string{"n": "0"})
		create(b, st, cm)
		i := 0
		var mine []time.Duration
		for pb.Next() {
			i++
			cm.Data["n"] = itoa(i)
			start := time.Now()
			update(b, st, cm, false)
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	if len(took) > 0 {
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-p50")
		b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "ms-p90")
	}
}
