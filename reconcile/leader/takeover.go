package leader

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// DefaultGoneAfter is how long the leader's member must have been gone,
// at every probe, before a candidate revokes the leader's lease.
const DefaultGoneAfter = 2 * time.Second

// MsgRevoked is the log message of a take-over (tests and the failover
// benchmark look for it).
const MsgRevoked = "leader election: revoked the lease of a leader whose etcd member is gone"

// goneSince tracks one leader (its election key and create revision) seen
// gone at consecutive probes: a take-over needs every probe over `after`
// to have found it gone, and a new leader starts the count again.
type goneSince struct {
	key   string
	rev   int64
	since time.Time // zero: seen alive at the last probe
}

// observe records a probe of leader key/rev that started at probed and
// ended at now, and says whether its lease may be revoked: gone at every
// probe from the start of the first that found it gone to now, at least
// after.
func (g *goneSince) observe(key string, rev int64, gone bool, probed, now time.Time, after time.Duration) bool {
	if key != g.key || rev != g.rev {
		*g = goneSince{key: key, rev: rev}
	}
	if !gone {
		g.since = time.Time{}
		return false
	}
	if g.since.IsZero() {
		g.since = probed
	}
	return now.Sub(g.since) >= after
}

// takeOver runs while this candidate waits in the campaign (until ctx
// ends): every GoneAfter/4 it reads the leader and asks Options.Gone
// whether that leader's member is gone from the cluster; once it has been
// gone for GoneAfter it revokes the leader's lease, which deletes its
// election key, so the campaign wins now instead of after the TTL. own is
// this candidate's lease (never revoked here).
func (e *Elector) takeOver(ctx context.Context, own clientv3.LeaseID) {
	every := e.o.GoneAfter / 4
	t := time.NewTicker(every)
	defer t.Stop()
	var g goneSince
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Linearizable: never act on a stale copy of the election.
		pctx, cancel := context.WithTimeout(ctx, every*2)
		r, err := e.o.Client.Get(pctx, ElectionKey(e.o.Prefix)+"/", clientv3.WithFirstCreate()...)
		cancel()
		if err != nil {
			// No answer (etcd may be electing a raft leader after the
			// dead server's member led it): the count goes on; the
			// next read says which leader it counts for.
			continue
		}
		if len(r.Kvs) == 0 || clientv3.LeaseID(r.Kvs[0].Lease) == own {
			g = goneSince{}
			continue
		}
		kv := r.Kvs[0]
		name := string(kv.Value)
		probed := time.Now()
		if !g.observe(string(kv.Key), kv.CreateRevision, e.o.Gone(ctx, name), probed, time.Now(), e.o.GoneAfter) {
			continue
		}
		gone := time.Since(g.since)
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = e.o.Client.Revoke(rctx, clientv3.LeaseID(kv.Lease))
		cancel()
		if err != nil {
			e.o.Log.Warn("leader election: revoking the lease of a leader whose etcd member is gone failed (its lease expires by itself)", "name", e.o.Name, "leader", name, "lease", kv.Lease, "err", err)
			continue
		}
		e.o.Log.Warn(MsgRevoked, "name", e.o.Name, "leader", name, "key", string(kv.Key), "lease", kv.Lease, "goneFor", gone.Round(time.Millisecond))
		g = goneSince{}
	}
}
