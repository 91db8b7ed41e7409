package etcdmember

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// QuorumLostError is a member that could not reach a majority of its
// cluster: it refuses to start rather than serve nothing.
type QuorumLostError struct {
	Name        string
	Members     int      // voting members of the cluster, this one included
	Unreachable []string // "name (peer URL)" of those whose peer port did not answer
	Waited      time.Duration
}

func (e *QuorumLostError) Error() string {
	need := e.Members/2 + 1
	who := "none of the others answered on its peer port; they may be starting too"
	if len(e.Unreachable) > 0 {
		who = "unreachable: " + strings.Join(e.Unreachable, ", ")
	}
	return fmt.Sprintf("etcd member %s: no quorum after %s: the cluster has %d members and needs %d to agree (%s). "+
		"Bring those servers back (start their controllers; this one then starts by itself when restarted), "+
		"or, if they are lost for good, restart this server with --cluster-reset: it keeps this member's data and makes it a one-member cluster "+
		"(as k3s' --cluster-reset; restore a snapshot into the data directory first if this member's data is not the latest), "+
		"then join the other servers again with --join and a server token",
		e.Name, e.Waited.Round(time.Second), e.Members, need, who)
}

// quorumLost lists the other voting members whose peer port does not
// answer a TCP dial: what the error tells a person to bring back.
func quorumLost(ctx context.Context, o *Options, e *embed.Etcd) error {
	qe := &QuorumLostError{Name: o.Name, Waited: o.ReadyTimeout}
	self := e.Server.MemberID()
	for _, m := range e.Server.Cluster().Members() {
		if m.IsLearner {
			continue
		}
		qe.Members++
		if m.ID == self {
			continue
		}
		if !anyAnswers(ctx, m.PeerURLs) {
			qe.Unreachable = append(qe.Unreachable, fmt.Sprintf("%s (%s)", m.Name, strings.Join(m.PeerURLs, ",")))
		}
	}
	slices.Sort(qe.Unreachable)
	return qe
}

func anyAnswers(ctx context.Context, urls []string) bool {
	for _, s := range urls {
		if answers(ctx, s, 2*time.Second) {
			return true
		}
	}
	return false
}

// answers says whether a TCP dial to URL s's host and port succeeds
// within timeout (a dead process on a live host refuses at once).
func answers(ctx context.Context, s string, timeout time.Duration) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
