package etcdmember_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func statusOf(t *testing.T, cli *clientv3.Client) map[string]etcdmember.MemberStatus {
	t.Helper()
	st, err := etcdmember.Status(ctxT(t, time.Minute), cli, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]etcdmember.MemberStatus{}
	for _, m := range st {
		out[m.Name] = m
	}
	return out
}

// One cluster through its life: formed by init and two joins, replicating,
// losing and regaining its quorum, refusing to start without one, a member
// removed, and the last one reset to a one-member cluster with its data.
func TestMembersFormJoinQuorumRemoveReset(t *testing.T) {
	c := membertest.Start(t, 3)
	cli := c.ClientOf(c.Members[0].ClientURL())
	defer cli.Close()

	t.Run("formed", func(t *testing.T) {
		st := statusOf(t, cli)
		leaders := 0
		for _, name := range []string{"s1", "s2", "s3"} {
			m, ok := st[name]
			switch {
			case !ok:
				t.Fatalf("member %s missing from %v", name, st)
			case !m.Healthy || m.Learner:
				t.Errorf("member %s: healthy %v learner %v error %q", name, m.Healthy, m.Learner, m.Error)
			case m.DBSize == 0 || m.RaftIndex == 0 || !strings.HasPrefix(m.PeerURL, "https://127.0.0.1:") || !strings.HasPrefix(m.ClientURL, "https://127.0.0.1:"):
				t.Errorf("member %s: %+v", name, m)
			}
			if m.Leader {
				leaders++
			}
		}
		if leaders != 1 {
			t.Errorf("%d leaders in %v", leaders, st)
		}
	})
	t.Run("replicates", func(t *testing.T) {
		if _, err := cli.Put(ctxT(t, time.Minute), "/k", "v1"); err != nil {
			t.Fatal(err)
		}
		cli3 := c.ClientOf(c.Members[2].ClientURL())
		defer cli3.Close()
		r, err := cli3.Get(ctxT(t, time.Minute), "/k")
		if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "v1" {
			t.Fatalf("s3 reads %v, %v", r, err)
		}
	})
	t.Run("join twice is a conflict", func(t *testing.T) {
		_, err := etcdmember.AddLearner(ctxT(t, time.Minute), cli, "s2", "https://127.0.0.1:1")
		if !apierrors.Is(err, apierrors.ReasonConflict) || !strings.Contains(err.Error(), "server remove s2") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("quorum lost: writes fail clearly, serializable reads answer", func(t *testing.T) {
		c.Stop(1)
		c.Stop(2)
		_, err := cli.Put(ctxT(t, 5*time.Second), "/k", "v2")
		if err == nil {
			t.Fatal("a write without quorum succeeded")
		}
		if err := etcdmember.Explain(err); !errors.Is(err, etcdmember.ErrNoQuorum) || !apierrors.Is(err, apierrors.ReasonServiceUnavailable) {
			t.Fatalf("write error %v, explained %v: want ErrNoQuorum", err, etcdmember.Explain(err))
		}
		r, err := cli.Get(ctxT(t, time.Minute), "/k", clientv3.WithSerializable())
		if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "v1" {
			t.Fatalf("serializable read: %v, %v", r, err)
		}
		if m := statusOf(t, cli)["s1"]; m.Healthy || !strings.Contains(m.Error, "no leader") {
			t.Errorf("status of s1 without quorum: %+v", m)
		}
	})
	t.Run("resumes when one returns", func(t *testing.T) {
		if err := c.Restart(2); err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Put(ctxT(t, time.Minute), "/k", "v3"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("remove", func(t *testing.T) {
		ctx := ctxT(t, time.Minute)
		if _, err := etcdmember.Remove(ctx, cli, "s1", c.Members[0].ID()); !apierrors.Is(err, apierrors.ReasonConflict) {
			t.Errorf("removing itself: %v", err)
		}
		if _, err := etcdmember.Remove(ctx, cli, "nope", c.Members[0].ID()); !apierrors.Is(err, apierrors.ReasonNotFound) || !strings.Contains(err.Error(), "s1, s2, s3") {
			t.Errorf("removing an unknown member: %v", err)
		}
		if _, err := etcdmember.Remove(ctx, cli, "s2", c.Members[0].ID()); err != nil {
			t.Fatal(err)
		}
		if st := statusOf(t, cli); len(st) != 2 {
			t.Fatalf("after removing s2: %v", st)
		}
		// A member added but never started has no name: removed by its ID.
		info, err := etcdmember.AddLearner(ctx, cli, "ghost", "https://127.0.0.1:1")
		if err != nil {
			t.Fatal(err)
		}
		if st := statusOf(t, cli); st["(not started)"].ID != fmt.Sprintf("%x", info.MemberID) {
			t.Fatalf("the added member: %v", st)
		}
		if _, err := etcdmember.Remove(ctx, cli, fmt.Sprintf("%x", info.MemberID), c.Members[0].ID()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refuses to start without quorum", func(t *testing.T) {
		c.Stop(0)
		c.Stop(2)
		o := c.Opts[2]
		o.Mode, o.ReadyTimeout = etcdmember.ModeRestart, 3*time.Second
		_, err := etcdmember.Start(context.Background(), o)
		var q *etcdmember.QuorumLostError
		if !errors.As(err, &q) {
			t.Fatalf("got %v, want a QuorumLostError", err)
		}
		msg := err.Error()
		for _, want := range []string{"s3", "2 members", "needs 2", "unreachable: s1 (https://127.0.0.1:", "--cluster-reset", "Bring those servers back"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error lacks %q: %s", want, msg)
			}
		}
	})
	t.Run("cluster reset keeps the data in a one-member cluster", func(t *testing.T) {
		o := c.Opts[2]
		o.Mode = etcdmember.ModeReset
		m, err := etcdmember.Start(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		cli3, err := m.Client()
		if err != nil {
			t.Fatal(err)
		}
		defer cli3.Close()
		r, err := cli3.Get(ctxT(t, time.Minute), "/k")
		if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "v3" {
			t.Fatalf("after reset: %v, %v", r, err)
		}
		if st := statusOf(t, cli3); len(st) != 1 || !st["s3"].Leader {
			t.Fatalf("after reset: %v", st)
		}
	})
}

// Two members restarted at once (each needs the other for a quorum) both
// start: the refusal waits ReadyTimeout, not less.
func TestRestartTogether(t *testing.T) {
	c := membertest.Start(t, 3)
	c.StopAll()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.Restart(i) }()
	}
	wg.Wait()
	for i, err := range errs[:2] {
		if err != nil {
			t.Fatalf("restart s%d: %v", i+1, err)
		}
	}
	cli := c.Client()
	defer cli.Close()
	if _, err := cli.Put(ctxT(t, time.Minute), "/k", "v"); err != nil {
		t.Fatal(err)
	}
}
