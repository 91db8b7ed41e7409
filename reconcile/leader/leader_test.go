package leader_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// terms records who led, in order, and fails when two lead at once.
type terms struct {
	t      *testing.T
	mu     sync.Mutex
	active map[string]leader.Fence
	log    []string // "start NAME" / "end NAME"
}

func (r *terms) lead(name string) func(ctx context.Context, f leader.Fence) error {
	return func(ctx context.Context, f leader.Fence) error {
		r.mu.Lock()
		for other := range r.active {
			r.t.Errorf("%s leads while %s still leads", name, other)
		}
		r.active[name] = f
		r.log = append(r.log, "start "+name)
		r.mu.Unlock()
		<-ctx.Done()
		r.mu.Lock()
		delete(r.active, name)
		r.log = append(r.log, "end "+name)
		r.mu.Unlock()
		return ctx.Err()
	}
}

func (r *terms) leader() (string, leader.Fence, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for n, f := range r.active {
		return n, f, len(r.log)
	}
	return "", leader.Fence{}, len(r.log)
}

// Three candidates on a real three-member cluster, each talking to its own
// member: one leads at a time; the leader cut off from etcd (its member
// stopped) stops before another starts, and another leads within the TTL
// and a little; a leader that steps down (its context ends) hands over at
// once.
func TestElection(t *testing.T) {
	c := membertest.Start(t, 3)
	r := &terms{t: t, active: map[string]leader.Fence{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancels := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for i, m := range c.Members {
		name := fmt.Sprintf("server-%d", i+1)
		cli := c.ClientOf(m.ClientURL())
		t.Cleanup(func() { cli.Close() })
		cctx, ccancel := context.WithCancel(ctx)
		cancels[name] = ccancel
		e := leader.New(leader.Options{Client: cli, Prefix: "/test/", Name: name, TTL: 5 * time.Second})
		wg.Add(1)
		go func() { defer wg.Done(); _ = e.Run(cctx, r.lead(name)) }()
	}
	defer func() { t0 := time.Now(); wg.Wait(); t.Logf("candidates stopped in %s", time.Since(t0)) }()
	defer cancel()
	var first string
	var fence leader.Fence
	testkit.Eventually(t, 2*time.Minute, "a leader", func() error {
		if first, fence, _ = r.leader(); first == "" {
			return fmt.Errorf("no leader yet")
		}
		return nil
	})
	cli := c.ClientOf(c.Members[0].ClientURL())
	defer cli.Close()
	name, f, err := leader.Current(ctx, cli, "/test/")
	if err != nil || name != first || f != fence {
		t.Fatalf("Current = %q %v, %v; the leading candidate is %q %v", name, f, err, first, fence)
	}

	t.Run("a leader cut off from etcd stops before another leads", func(t *testing.T) {
		var idx int
		fmt.Sscanf(first, "server-%d", &idx)
		c.Stop(idx - 1) // its client reaches no member: no keep-alive answers
		var second string
		testkit.Eventually(t, 2*time.Minute, "another leader", func() error {
			if second, _, _ = r.leader(); second == "" || second == first {
				return fmt.Errorf("leader %q", second)
			}
			return nil
		})
		if _, f, _ := r.leader(); f.Rev <= fence.Rev {
			t.Errorf("new fence %v not after the old %v", f, fence)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		want := []string{"start " + first, "end " + first, "start " + second}
		if fmt.Sprint(r.log) != fmt.Sprint(want) {
			t.Fatalf("terms %v, want %v", r.log, want)
		}
		first = second
	})
	t.Run("a leader stepping down hands over at once", func(t *testing.T) {
		cancels[first]()
		testkit.Eventually(t, 2*time.Minute, "another leader", func() error {
			if n, _, _ := r.leader(); n == "" || n == first {
				return fmt.Errorf("leader %q", n)
			}
			return nil
		})
		r.mu.Lock()
		defer r.mu.Unlock()
		if n := len(r.log); r.log[n-2] != "end "+first {
			t.Fatalf("terms %v", r.log)
		}
	})
}

func TestDeadline(t *testing.T) {
	for _, tc := range []struct{ ttl, left, want time.Duration }{
		{10 * time.Second, 10 * time.Second, 8 * time.Second},
		{10 * time.Second, 4 * time.Second, 10 * time.Second / 3},
		{5 * time.Second, 5 * time.Second, 3 * time.Second},
	} {
		if got := leader.Deadline(tc.ttl, tc.left); got != tc.want {
			t.Errorf("Deadline(%s, %s) = %s, want %s", tc.ttl, tc.left, got, tc.want)
		}
	}
}
