package sources

import (
	"context"
	"fmt"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
)

// BenchmarkCommitOf1000DeploymentsEtcd is BenchmarkCommitOf1000Deployments
// on the etcd engine: the commit's one store transaction is appended to
// the log in etcd (a ~1 MB entry: parts, then the small transaction) and
// applied to this server's view on disk, with one and three embedded
// members (loopback, data in the temp dir). Target: 3 s.
func BenchmarkCommitOf1000DeploymentsEtcd(b *testing.B) {
	for _, members := range []int{1, 3} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			cluster := etcdtest.StartCluster(b, members)
			cli := cluster.Client(b)
			repo, commit := benchRepo(b)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				b.StopTimer()
				n++
				st, err := store.OpenEtcd(b.TempDir(), cli, store.Options{}, store.EtcdOptions{Prefix: fmt.Sprintf("/bench/%d/", n)})
				if err != nil {
					b.Fatal(err)
				}
				r := newBenchRunnerOn(b, st, repo.Dir)
				b.StartTimer()
				if err := r.syncOnce(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s, err := reconcile.GetSourceStatus(st, "bench")
				if err != nil || s.LastAppliedCommit != commit || s.Objects != 1001 {
					b.Fatalf("not applied: %+v %v", s, err)
				}
				st.Close()
				b.StartTimer()
			}
		})
	}
}
