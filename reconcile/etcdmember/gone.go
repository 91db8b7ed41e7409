package etcdmember

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Gone says whether the member named name is gone from the cluster as the
// member cli talks to sees it: removed (not in the member list), or alive
// on none of its client URLs (its port refuses or no status answered
// within timeout: its process is dead or cut off), or answering without a raft leader (cut
// off from the majority: it cannot commit). A member that answers with a
// leader, however slowly within timeout, is not gone. When this member
// cannot read its own member list, Gone says false: it does not know.
//
// With embedded members a controller talks to etcd only through its own
// member (Member.Client), so a leader whose member is gone can no longer
// renew its lease or write: what leader.Options.Gone asks.
func Gone(ctx context.Context, cli *clientv3.Client, name string, timeout time.Duration) bool {
	mctx, cancel := context.WithTimeout(ctx, timeout)
	list, err := cli.MemberList(mctx, clientv3.WithSerializable())
	cancel()
	if err != nil {
		return false
	}
	for _, m := range list.Members {
		if m.Name != name {
			continue
		}
		for _, u := range m.ClientURLs {
			// A TCP dial first: a dead process's port refuses at once,
			// where the gRPC status call would wait for its deadline.
			if !answers(ctx, u, timeout) {
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, timeout)
			st, err := cli.Status(sctx, u)
			cancel()
			if err == nil && st.Leader != 0 {
				return false
			}
		}
		return ctx.Err() == nil
	}
	return ctx.Err() == nil // removed (unless the caller gave up)
}
