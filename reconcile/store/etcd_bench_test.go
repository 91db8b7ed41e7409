package store

import (
	"testing"

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
