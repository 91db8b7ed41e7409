package etcdmember

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// JoinInfo is what an existing server answers a joining one: the member it
// added and the initial cluster its member starts with.
type JoinInfo struct {
	MemberID       uint64
	InitialCluster string   // "name=peerURL,…" with the new member under its name
	ClientURLs     []string // the started members' client URLs
}

// AddLearner adds name at peerURL as a learner (it receives the log but
// does not vote until Promote, so a slow new member never costs the
// quorum). A name or peer URL already in the cluster is a Conflict: a
// server joins once, and comes back after `reconcile server remove`.
func AddLearner(ctx context.Context, cli *clientv3.Client, name, peerURL string) (JoinInfo, error) {
	list, err := cli.MemberList(ctx)
	if err != nil {
		return JoinInfo{}, Explain(err)
	}
	for _, m := range list.Members {
		switch {
		case m.Name == name:
			return JoinInfo{}, apierrors.New(apierrors.ReasonConflict, "server %q is already a member of the etcd cluster (id %x, peer %s): remove it first with `reconcile server remove %s` (its data directory's etcd/ must be emptied too) or give the new server another --server-name", name, m.ID, strings.Join(m.PeerURLs, ","), name)
		case slices.Contains(m.PeerURLs, peerURL):
			return JoinInfo{}, apierrors.New(apierrors.ReasonConflict, "peer URL %s is already member %q's (id %x): remove it with `reconcile server remove %x` first, or advertise another address", peerURL, memberName(m), m.ID, m.ID)
		}
	}
	resp, err := addLearner(ctx, cli, peerURL)
	if err != nil {
		return JoinInfo{}, Explain(err)
	}
	info := JoinInfo{MemberID: resp.Member.ID}
	var parts []string
	for _, m := range resp.Members {
		n := m.Name
		if m.ID == resp.Member.ID {
			n = name
		}
		for _, u := range m.PeerURLs {
			parts = append(parts, n+"="+u)
		}
		info.ClientURLs = append(info.ClientURLs, m.ClientURLs...)
	}
	info.InitialCluster = strings.Join(parts, ",")
	return info, nil
}

// addLearner adds peerURL as a learner (retryUnhealthy).
func addLearner(ctx context.Context, cli *clientv3.Client, peerURL string) (resp *clientv3.MemberAddResponse, err error) {
	err = retryUnhealthy(ctx, func() error {
		resp, err = cli.MemberAddAsLearner(ctx, []string{peerURL})
		return err
	})
	return resp, err
}

// retryUnhealthy retries change while etcd's strict reconfiguration check
// refuses it ("unhealthy cluster": a member promoted or restarted less
// than 5 s ago does not count as connected yet), until ctx ends.
func retryUnhealthy(ctx context.Context, change func() error) error {
	for {
		err := change()
		if err == nil || !unhealthy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

func unhealthy(err error) bool {
	return errors.Is(err, rpctypes.ErrGRPCUnhealthy) || strings.Contains(err.Error(), rpctypes.ErrUnhealthy.Error())
}

func memberName(m *etcdserverpb.Member) string {
	if m.Name == "" {
		return "(not started)"
	}
	return m.Name
}

// ErrLearnerNotReady: the learner has not caught up with the leader yet;
// Promote again later.
var ErrLearnerNotReady = errors.New("the new member has not caught up with the leader yet")

// Promote makes learner id a voting member.
func Promote(ctx context.Context, cli *clientv3.Client, id uint64) error {
	_, err := cli.MemberPromote(ctx, id)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rpctypes.ErrGRPCLearnerNotReady) || errors.Is(err, rpctypes.ErrMemberLearnerNotReady) || strings.Contains(err.Error(), "in sync with leader"):
		return fmt.Errorf("promoting etcd member %x: %w", id, ErrLearnerNotReady)
	case errors.Is(err, rpctypes.ErrGRPCMemberNotLearner) || errors.Is(err, rpctypes.ErrMemberNotLearner) || strings.HasSuffix(err.Error(), "can only promote a learner member"):
		return nil // promoted already (a retried call)
	}
	return Explain(err)
}

// PromoteWhenReady retries Promote every interval until it holds or ctx
// ends.
func PromoteWhenReady(ctx context.Context, promote func(context.Context) error, every time.Duration) error {
	for {
		err := promote(ctx)
		if err == nil || !errors.Is(err, ErrLearnerNotReady) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-time.After(every):
		}
	}
}

// Remove removes member name (or hex ID) from the cluster. self is the member of the
// server asked: it refuses to remove itself (ask another server, whose
// member then tells this one it was removed) and the last member.
func Remove(ctx context.Context, cli *clientv3.Client, name string, self uint64) (uint64, error) {
	list, err := cli.MemberList(ctx)
	if err != nil {
		return 0, Explain(err)
	}
	var names []string
	for _, m := range list.Members {
		names = append(names, memberName(m))
		if m.Name != name && fmt.Sprintf("%x", m.ID) != name { // by ID: a member added but never started has no name
			continue
		}
		switch {
		case m.ID == self:
			return 0, apierrors.New(apierrors.ReasonConflict, "server %q is the one answering this request: ask another server to remove it (`reconcile --server https://OTHER:7420 server remove %s`), or stop it and remove it from another", name, name)
		case len(list.Members) == 1:
			return 0, apierrors.New(apierrors.ReasonConflict, "server %q is the cluster's only member: removing it would end the cluster", name)
		}
		if err := retryUnhealthy(ctx, func() error { _, err := cli.MemberRemove(ctx, m.ID); return err }); err != nil {
			return 0, Explain(err)
		}
		return m.ID, nil
	}
	slices.Sort(names)
	return 0, apierrors.New(apierrors.ReasonNotFound, "server %q is not a member of the etcd cluster (members: %s)", name, strings.Join(names, ", "))
}

// ErrNoQuorum is a request the cluster could not commit: a majority of
// its members is down or unreachable.
var ErrNoQuorum = errors.New("the etcd cluster has no quorum (a majority of its servers is down or unreachable): writes wait until enough servers are back; reads of this server's copy still answer")

// Explain turns etcd's errors of a cluster that cannot commit into
// ErrNoQuorum (ServiceUnavailable) and keeps the others, wrapped.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	if NoQuorum(err) {
		return apierrors.New(apierrors.ReasonServiceUnavailable, "%w (%v)", ErrNoQuorum, err)
	}
	if unhealthy(err) {
		return apierrors.New(apierrors.ReasonServiceUnavailable, "the etcd cluster refuses a membership change that would leave it without a quorum of started members (%w): bring the missing servers back first", err)
	}
	return err
}

// NoQuorum says whether err is a request the cluster could not commit for
// want of a leader or a majority.
func NoQuorum(err error) bool {
	for _, e := range []error{rpctypes.ErrNoLeader, rpctypes.ErrTimeout, rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost,
		rpctypes.ErrGRPCNoLeader, rpctypes.ErrGRPCTimeout, rpctypes.ErrGRPCTimeoutDueToLeaderFail, rpctypes.ErrGRPCTimeoutDueToConnectionLost, context.DeadlineExceeded} {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return true
		}
	}
	return false
}

// Host is the host of the peer URL of the member named name (the server's
// --etcd-advertise-address, usually where its API listens too), from this member's copy of
// the member list; "" when no member has that name (an external etcd,
// whose members are not the servers) or the list cannot be read.
func Host(ctx context.Context, cli *clientv3.Client, name string) string {
	list, err := cli.MemberList(ctx, clientv3.WithSerializable())
	if err != nil {
		return ""
	}
	for _, m := range list.Members {
		if m.Name != name || len(m.PeerURLs) == 0 {
			continue
		}
		if u, err := url.Parse(m.PeerURLs[0]); err == nil {
			return u.Hostname()
		}
	}
	return ""
}
