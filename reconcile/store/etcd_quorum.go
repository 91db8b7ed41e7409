package store

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// Writes without a quorum. Every request of the store carries etcd's
// require-leader flag (clientv3.WithRequireLeader, etcdLog.ctx): a member
// that has lost its leader refuses it at once with ErrNoLeader instead of
// holding it until the request timeout, so a write on a control plane that
// lost its majority fails in about etcd's election timeout rather than
// after RequestTimeout and the read-backs of appendOutcome, each holding
// the store's lock (writes queued behind it waited minutes). The error is
// ServiceUnavailable (503), as kube-apiserver answers when etcd cannot
// commit, and says why and what still works.

// noLeader says whether etcd refused a request before proposing it because
// the member has no leader: nothing was written.
func noLeader(err error) bool {
	return errors.Is(err, rpctypes.ErrNoLeader) || errors.Is(err, rpctypes.ErrGRPCNoLeader) ||
		strings.Contains(err.Error(), rpctypes.ErrNoLeader.Error())
}

// cannotCommit says whether err is etcd failing to commit for want of a
// leader or a majority (its timeouts included).
func cannotCommit(err error) bool {
	if noLeader(err) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	for _, e := range []error{rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost} {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return true
		}
	}
	return false
}

// noQuorum is err (an append that failed because etcd cannot commit) as
// ServiceUnavailable; other errors stay as they are.
func noQuorum(err error) error {
	if err == nil || !cannotCommit(err) {
		return err
	}
	return apierrors.New(apierrors.ReasonServiceUnavailable, "the etcd cluster has no quorum (a majority of its servers is down or unreachable): writes fail until enough servers are back; reads of this server's copy still answer (%w)", err)
}
