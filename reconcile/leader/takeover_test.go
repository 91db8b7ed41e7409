package leader_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/controlplane"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// Three servers (subprocesses, each an embedded member and an elector on
// that member alone, as controlplane.Start): the leader killed with
// SIGKILL takes its member with it, and a candidate revokes its lease
// (leader.MsgRevoked naming it) instead of waiting for the TTL; the new
// leader has written through its fenced store.
func TestKilledLeaderIsTakenOver(t *testing.T) {
	s := startServers(t, 3, leader.DefaultTTL, true)
	first := s.waitLeading()
	t0 := time.Now()
	s.kill(first)
	next := s.waitLeading()
	took := time.Since(t0)
	if next == first {
		t.Fatalf("%s leads again after it was killed", next)
	}
	select {
	case line := <-s.revoked:
		if !strings.Contains(line, "leader="+first+" ") {
			t.Fatalf("revoked another leader's lease: %s", line)
		}
		t.Logf("%s killed; %s leads and wrote %s later (lease TTL %s); %s", first, next, took.Round(time.Millisecond), leader.DefaultTTL, line)
	case <-time.After(10 * time.Second):
		// The revoking candidate logs after Revoke returns, on its own
		// pipe, so its line may come after the winner's "leading".
		t.Fatalf("%s leads %s after %s was killed, but no candidate revoked %s's lease (it expired by itself)", next, took, first, first)
	}
}

// A leader whose member answers (however slowly) is never revoked: two
// candidates probe it many times (GoneAfter 300 ms) and it keeps leading;
// etcdmember.Gone says false for it and true once its member is stopped.
func TestLiveLeaderIsNotRevoked(t *testing.T) {
	c := membertest.Start(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var probes, gone atomic.Int64
	led := make(chan string, 8)
	var firstOut, stopping atomic.Bool
	for i, m := range c.Members {
		name := fmt.Sprintf("s%d", i+1) // the member's name, as on a server
		cli := c.ClientOf(m.ClientURL())
		t.Cleanup(func() { cli.Close() })
		memberGone := controlplane.MemberGone(cli)
		probe := func(ctx context.Context, n string) bool {
			g := memberGone(ctx, n)
			probes.Add(1)
			if g {
				gone.Add(1)
			}
			return g
		}
		opts := leader.Options{Client: cli, Prefix: "/live/", Name: name, GoneAfter: 300 * time.Millisecond, Gone: probe}
		if i == 1 { // s1 campaigns alone first, so it is the leader the others probe
			<-led
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = leader.New(opts).Run(ctx, func(ctx context.Context, f leader.Fence) error {
				if !firstOut.CompareAndSwap(false, true) && !stopping.Load() {
					t.Errorf("%s leads: the first leader was revoked though its member is alive", name)
				}
				led <- name
				<-ctx.Done()
				return nil
			})
		}()
	}
	testkit.Eventually(t, 2*time.Minute, "20 probes of the live leader", func() error {
		if n := probes.Load(); n < 20 {
			return fmt.Errorf("%d probes", n)
		}
		return nil
	})
	if g := gone.Load(); g != 0 {
		t.Errorf("%d of %d probes found the live leader's member gone", g, probes.Load())
	}
	stopping.Store(true) // s1 resigns now: another may lead
	cancel()
	wg.Wait()
	ctx = context.Background()
	cli := c.ClientOf(c.Members[1].ClientURL())
	defer cli.Close()
	if etcdmember.Gone(ctx, cli, "s1", time.Second) {
		t.Error("Gone(s1) with s1 running")
	}
	c.Stop(0)
	testkit.Eventually(t, 2*time.Minute, "s1 gone", func() error {
		if !etcdmember.Gone(ctx, cli, "s1", time.Second) {
			return fmt.Errorf("s1 stopped, not gone yet")
		}
		return nil
	})
	if !etcdmember.Gone(ctx, cli, "no-such-server", time.Second) {
		t.Error("Gone of a name that is no member")
	}
}

// A leader paused (SIGSTOP: its member pauses with it) is taken over like
// a dead one; resumed, it goes on writing until it notices, and the fence
// refuses every such write: what it had written when the new leader
// started is what stays.
func TestPausedLeaderIsFenced(t *testing.T) {
	s := startServersWith(t, 3, leader.DefaultTTL, true, true)
	first := s.waitLeading()
	time.Sleep(time.Second) // a few writes of its term
	cmd := s.procs[first]
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	next := s.waitLeading()
	if next == first {
		t.Fatalf("%s leads again while paused", first)
	}
	before := lastWrite(t, s, first)
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for done := false; !done; {
		select {
		case e := <-s.events:
			seen = append(seen, e)
			done = e == "stopped "+first
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s, resumed, did not stop leading in 2 min (%v)", first, seen)
		}
	}
	if after := lastWrite(t, s, first); after != before {
		t.Fatalf("%s's write %d landed after %s led (it had written %d then)", first, after, next, before)
	}
	t.Logf("%s paused at its write %d; %s led; %s resumed and stopped: %v", first, before, next, first, seen)
}

// lastWrite is bench/last/NAME in a view of the store brought up to the
// log's head.
func lastWrite(t *testing.T, s *servers, name string) int {
	t.Helper()
	cli := s.client()
	defer cli.Close()
	st, err := store.OpenEtcd("", cli, store.Options{}, store.EtcdOptions{Prefix: "/bench/"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if ok, err := st.GetMeta("bench/last/"+name, &n); err != nil || !ok {
		t.Fatalf("bench/last/%s: %v, %v", name, ok, err)
	}
	return n
}
