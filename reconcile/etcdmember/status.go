package etcdmember

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// MemberStatus is one member as `reconcile status` shows it.
type MemberStatus struct {
	Name      string `json:"name"`
	ID        string `json:"id"` // hex, as etcdctl prints it
	PeerURL   string `json:"peerURL"`
	ClientURL string `json:"clientURL"`
	Learner   bool   `json:"learner,omitempty"`
	Leader    bool   `json:"leader"` // etcd's raft leader
	Healthy   bool   `json:"healthy"`
	Error     string `json:"error,omitempty"` // why not healthy
	DBSize    int64  `json:"dbSize"`
	// DBSizeInUse: the part of DBSize the backend uses (the rest is free
	// pages a defragmentation gives back, defrag.go).
	DBSizeInUse int64  `json:"dbSizeInUse"`
	RaftIndex   uint64 `json:"raftIndex"`
}

// Status asks every member for its status (each within timeout). A member
// answers its status without a quorum; one without a leader is not
// healthy.
func Status(ctx context.Context, cli *clientv3.Client, timeout time.Duration) ([]MemberStatus, error) {
	mctx, cancel := context.WithTimeout(ctx, timeout)
	// Serializable: the member list of the asked member's copy, so status
	// answers when the quorum is lost (then it says so, member by member).
	list, err := cli.MemberList(mctx, clientv3.WithSerializable())
	cancel()
	if err != nil {
		return nil, Explain(err)
	}
	out := make([]MemberStatus, 0, len(list.Members))
	var leader uint64
	for _, m := range list.Members {
		ms := MemberStatus{Name: memberName(m), ID: fmt.Sprintf("%x", m.ID), PeerURL: strings.Join(m.PeerURLs, ","), ClientURL: strings.Join(m.ClientURLs, ","), Learner: m.IsLearner}
		ms.Error = "not started (added, waiting for its server)"
		for _, u := range m.ClientURLs {
			sctx, cancel := context.WithTimeout(ctx, timeout)
			st, err := cli.Status(sctx, u)
			cancel()
			if err != nil {
				ms.Error = err.Error()
				continue
			}
			ms.DBSize, ms.DBSizeInUse, ms.RaftIndex, ms.Error = st.DbSize, st.DbSizeInUse, st.RaftIndex, ""
			if len(st.Errors) > 0 {
				ms.Error = strings.Join(st.Errors, "; ")
			}
			switch {
			case st.Leader == 0:
				ms.Error = "no leader: " + ErrNoQuorum.Error()
			case leader == 0:
				leader = st.Leader
			}
			ms.Healthy = ms.Error == ""
			break
		}
		out = append(out, ms)
	}
	for i, m := range list.Members {
		out[i].Leader = leader != 0 && m.ID == leader
	}
	slices.SortFunc(out, func(a, b MemberStatus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
