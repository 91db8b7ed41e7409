package controlplane

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// TestTheLeaderDefragmentsTheMembers: while a server leads, it
// defragments the embedded members whose file is mostly free (Lead runs
// etcdmember.RunDefrag for the term): after overwrites and a compaction
// the member's file shrinks without anyone asking.
func TestTheLeaderDefragmentsTheMembers(t *testing.T) {
	data := t.TempDir()
	p, err := credentials.OpenControllerPKI(data, "127.0.0.1:7420", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const floor = 4 << 20
	plane, err := Start(context.Background(), Options{Data: data, Name: "server-1", ClusterInit: true, Advertise: "127.0.0.1",
		PeerPort: membertest.FreePort(t), ClientPort: membertest.FreePort(t), TTL: 5 * time.Second,
		Defrag: etcdmember.DefragOptions{Every: 200 * time.Millisecond, MinDBSize: floor}}, p.CA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plane.Close)
	cli := plane.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	membertest.Garbage(ctx, t, cli, 200, 4) // 12.5 MiB of revisions of 4 keys
	status := func() etcdmember.MemberStatus {
		st, err := etcdmember.Status(ctx, cli, 2*time.Second)
		if err != nil || len(st) != 1 {
			t.Fatalf("status: %+v, %v", st, err)
		}
		return st[0]
	}
	big := status().DBSize
	if big < 2*floor {
		t.Fatalf("the member's file is %d bytes after the writes, want over %d", big, 2*floor)
	}

	leadCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- plane.Lead(leadCtx, func(ctx context.Context, f leader.Fence) error { <-ctx.Done(); return nil })
	}()
	testkit.Eventually(t, 2*time.Minute, "the leader defragmented its member", func() error {
		// bbolt frees the compacted pages at a later write (etcd measures
		// the use at commits): the controllers' writes do that in practice.
		if _, err := cli.Put(ctx, "/defrag/tick", time.Now().String()); err != nil {
			return err
		}
		if s := status(); s.DBSize > big/2 {
			return fmt.Errorf("%d bytes, %d in use (%d after the writes)", s.DBSize, s.DBSizeInUse, big)
		}
		return nil
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
