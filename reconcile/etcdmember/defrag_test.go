package etcdmember_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestDefragPlan(t *testing.T) {
	const mib = 1 << 20
	m := func(name string, leader, healthy bool, size, inUse int64) etcdmember.MemberStatus {
		return etcdmember.MemberStatus{Name: name, ClientURL: "https://" + name + ":7422", Leader: leader, Healthy: healthy, DBSize: size, DBSizeInUse: inUse}
	}
	for _, tc := range []struct {
		what    string
		members []etcdmember.MemberStatus
		want    []string
	}{
		{"nothing to reclaim", []etcdmember.MemberStatus{m("s1", true, true, 100*mib, 90*mib), m("s2", false, true, 100*mib, 60*mib)}, nil},
		{"exactly half free is not enough", []etcdmember.MemberStatus{m("s1", false, true, 100*mib, 50*mib)}, nil},
		{"under the floor", []etcdmember.MemberStatus{m("s1", false, true, 64*mib, 1*mib), m("s2", false, true, 60*mib, 1*mib)}, nil},
		{"followers by name, the raft leader last", []etcdmember.MemberStatus{
			m("s1", true, true, 200*mib, 10*mib), m("s3", false, true, 200*mib, 10*mib), m("s2", false, true, 200*mib, 10*mib),
		}, []string{"s2", "s3", "s1"}},
		{"an unhealthy member is skipped", []etcdmember.MemberStatus{m("s1", false, false, 200*mib, 10*mib), m("s2", false, true, 200*mib, 10*mib)}, []string{"s2"}},
		{"a member not started has no client URL", []etcdmember.MemberStatus{{Name: "s4", Healthy: true, DBSize: 200 * mib}}, nil},
	} {
		var got []string
		for _, p := range etcdmember.DefragPlan(tc.members, etcdmember.DefaultDefragMinDBSize) {
			got = append(got, p.Name)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: plan %v, want %v", tc.what, got, tc.want)
		}
	}
}

// TestDefragmentShrinksTheMembers: real members; overwrites leave old
// revisions, a compaction frees their pages (the file keeps its size), and
// one Defragment pass rewrites every member's file, one at a time, the
// raft leader last: each file shrinks to about what it uses. A second pass
// finds nothing to do.
func TestDefragmentShrinksTheMembers(t *testing.T) {
	c := membertest.Start(t, 3)
	cli := c.Client()
	defer cli.Close()
	ctx := ctxT(t, 5*time.Minute)

	membertest.Garbage(ctx, t, cli, 320, 8) // 20 MiB of revisions of 8 keys
	const floor = 4 << 20
	var before map[string]etcdmember.MemberStatus
	testkit.Eventually(t, 2*time.Minute, "every member's file mostly free after the compaction", func() error {
		// bbolt frees the compacted pages at a later write transaction
		// (no reader holds them then), and etcd measures its use at commits.
		if _, err := cli.Put(ctx, "/defrag/tick", time.Now().String()); err != nil {
			return err
		}
		before = statusOf(t, cli)
		for name, m := range before {
			if !etcdmember.NeedsDefrag(m.DBSize, m.DBSizeInUse, floor) {
				return fmt.Errorf("%s: %d bytes, %d in use", name, m.DBSize, m.DBSizeInUse)
			}
		}
		return nil
	})

	var log bytes.Buffer
	o := etcdmember.DefragOptions{MinDBSize: floor, Log: slog.New(slog.NewTextHandler(&log, nil))}
	done, err := etcdmember.Defragment(ctx, cli, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 3 {
		t.Fatalf("defragmented %+v, want the 3 members", done)
	}
	for i, d := range done {
		m := before[d.Name]
		if last := i == len(done)-1; m.Leader != last {
			t.Errorf("defragmented %s (raft leader %v) at %d of %d: the raft leader goes last", d.Name, m.Leader, i+1, len(done))
		}
		if d.After < 0 || d.After > d.Before/2 {
			t.Errorf("%s: %d bytes before, %d after (%d in use): want at most half", d.Name, d.Before, d.After, d.InUse)
		}
		t.Logf("%s: %d → %d bytes (%d in use) in %s", d.Name, d.Before, d.After, d.InUse, d.Took)
	}
	for name, m := range statusOf(t, cli) {
		if m.DBSize >= before[name].DBSize {
			t.Errorf("%s: status says %d bytes, %d before the defragmentation", name, m.DBSize, before[name].DBSize)
		}
	}
	if !bytes.Contains(log.Bytes(), []byte("etcd member defragmented")) {
		t.Errorf("no log line: %s", log.String())
	}
	if again, err := etcdmember.Defragment(ctx, cli, o); err != nil || len(again) != 0 {
		t.Errorf("a second pass: %+v, %v; want nothing to do", again, err)
	}
}
