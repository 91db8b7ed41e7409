// Package leader elects the one controller that writes on its own: git
// sync, the controllers, the scheduler and evictions run only on the
// leader (go.etcd.io/etcd/client/v3/concurrency, a lease of TTL 10 s, as
// kube-controller-manager's lease-based leader election).
//
//	e := leader.New(leader.Options{Client: cli, Prefix: "/reconcile/", Name: "server-1"})
//	err := e.Run(ctx, func(ctx context.Context, f leader.Fence) error {
//		st := store.Fenced(f.Key, f.Rev)   // every write also compares the election key
//		return runLeaderOnly(ctx, st)      // ctx ends the moment leadership is lost
//	})
//	who, err := leader.Current(ctx, cli, prefix)   // for status
//
// Losing leadership: the lead function's context is cancelled when the
// session ends (its lease was revoked or expired) or when no keep-alive
// answered for TTL minus a margin (SafetyMargin, 2 s): by the leader's own
// clock it stops before the lease can expire on the etcd side, so before
// another candidate can win. Run waits for lead to return before it
// campaigns again (and before it returns). The fence closes the rest: a
// write of a leader that has not noticed yet carries
// Compare(CreateRevision(Fence.Key) == Fence.Rev), which fails once its key
// is gone (store.ErrFenced).
//
// A dead leader's lease: with Options.Gone (embedded members, each server
// talking to etcd through its own member alone) a waiting candidate
// revokes the lease of a leader whose member has been gone from the
// cluster for GoneAfter (2 s) instead of waiting for the TTL (takeover.go).
// The fence makes that safe whatever the probe says: etcd applies the
// revoke and every fenced write in one log order, so no write of the old
// term lands after the new term began (docs/internals.md "High
// availability").
package leader
