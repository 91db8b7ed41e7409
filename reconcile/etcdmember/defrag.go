package etcdmember

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Defragmentation of the embedded members. Compaction (etcd's hourly
// auto-compaction, and the store's after each checkpoint) frees the pages
// of old revisions inside the backend file, but the file keeps its size
// until a defragmentation rewrites it (etcd's maintenance guide; k3s
// defragments at start). The leader checks every member's status every
// DefragOptions.Every and defragments, one member at a time, those whose
// file is more than half free and over a floor: a defragmentation blocks
// that member's reads and writes while it rewrites the file, so the others
// keep the quorum, and the raft leader goes last (as etcd-defrag does: its
// pause costs an election at worst, once).
const (
	// DefaultDefragEvery is how often the leader checks the members.
	DefaultDefragEvery = 10 * time.Minute
	// DefaultDefragMinDBSize: a smaller backend file is left alone (its
	// free pages cost little, and every write would otherwise grow it back
	// soon after).
	DefaultDefragMinDBSize = 64 << 20
	// DefragTimeout bounds one member's defragmentation (it rewrites the
	// whole file: seconds per GiB on a disk, longer on a slow one).
	DefragTimeout = 10 * time.Minute
)

// DefragOptions tune Defragment and RunDefrag; zero fields take the defaults.
type DefragOptions struct {
	Every     time.Duration // DefaultDefragEvery when 0; negative: never
	MinDBSize int64         // DefaultDefragMinDBSize when 0
	// StatusTimeout bounds each member's status request (3 s when 0).
	StatusTimeout time.Duration
	Log           *slog.Logger
}

func (o DefragOptions) withDefaults() DefragOptions {
	if o.Every == 0 {
		o.Every = DefaultDefragEvery
	}
	if o.MinDBSize == 0 {
		o.MinDBSize = DefaultDefragMinDBSize
	}
	if o.StatusTimeout == 0 {
		o.StatusTimeout = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// NeedsDefrag says whether a backend of dbSize bytes, inUse of them used,
// is worth rewriting: over minDBSize and more than half free.
func NeedsDefrag(dbSize, inUse, minDBSize int64) bool {
	return dbSize > minDBSize && dbSize > 2*inUse
}

// DefragPlan is the members to defragment, in order: healthy ones that
// NeedsDefrag (an unhealthy member answers no status to judge, or cannot
// take the request), followers by name, the raft leader last. Pure.
func DefragPlan(members []MemberStatus, minDBSize int64) []MemberStatus {
	var out []MemberStatus
	for _, m := range members {
		if m.Healthy && m.ClientURL != "" && NeedsDefrag(m.DBSize, m.DBSizeInUse, minDBSize) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b MemberStatus) int {
		if a.Leader != b.Leader {
			if a.Leader {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// Defragmented is one member's defragmentation.
type Defragmented struct {
	Name          string
	Before, After int64 // the backend file's size (After -1: its status did not answer after)
	InUse         int64 // its used part before
	Took          time.Duration
}

// Defragment checks every member once and defragments those of DefragPlan,
// one at a time, through cli (any client of the cluster: each request goes
// to the member's own client URL). It stops at the first failure, so a
// member in trouble is not followed by the next one's pause.
func Defragment(ctx context.Context, cli *clientv3.Client, o DefragOptions) ([]Defragmented, error) {
	o = o.withDefaults()
	members, err := Status(ctx, cli, o.StatusTimeout)
	if err != nil {
		return nil, err
	}
	var done []Defragmented
	for _, m := range DefragPlan(members, o.MinDBSize) {
		url, _, _ := strings.Cut(m.ClientURL, ",")
		dctx, cancel := context.WithTimeout(ctx, DefragTimeout)
		t0 := time.Now()
		_, err := cli.Defragment(dctx, url)
		cancel()
		if err != nil {
			return done, fmt.Errorf("defragmenting etcd member %s (%s; %d of its %d bytes in use): %w", m.Name, url, m.DBSizeInUse, m.DBSize, Explain(err))
		}
		d := Defragmented{Name: m.Name, Before: m.DBSize, InUse: m.DBSizeInUse, Took: time.Since(t0), After: -1}
		sctx, cancel := context.WithTimeout(ctx, o.StatusTimeout)
		if st, err := cli.Status(sctx, url); err == nil {
			d.After = st.DbSize
		}
		cancel()
		o.Log.Info("etcd member defragmented", "member", m.Name, "dbSizeBefore", d.Before, "dbSizeInUse", d.InUse, "dbSizeAfter", d.After, "took", d.Took.Round(time.Millisecond))
		done = append(done, d)
	}
	return done, nil
}

// RunDefrag runs Defragment every o.Every until ctx ends (the leader's
// term: controlplane.Plane.Lead runs it on embedded members), logging a
// failure once per distinct error.
func RunDefrag(ctx context.Context, cli *clientv3.Client, o DefragOptions) {
	o = o.withDefaults()
	if o.Every < 0 {
		return
	}
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, err := Defragment(ctx, cli, o)
		switch {
		case err != nil && ctx.Err() == nil && err.Error() != lastErr:
			o.Log.Warn("etcd defragmentation failed; retried at the next check", "err", err, "every", o.Every)
			lastErr = err.Error()
		case err == nil:
			lastErr = ""
		}
	}
}
