package sources

import (
	"context"
	"sync"
	"time"
)

// DefaultMinFetchInterval is the least time between two fetches of a source
// asked from outside (webhooks, `reconcile sync`) unless its config says
// otherwise (minFetchInterval).
const DefaultMinFetchInterval = time.Second

// fetchLimit spaces a source's fetches asked from outside, and drift checks
// (asked by changes in the store, which can come in floods too). The loop is the
// only fetcher, so at most one fetch runs; the runner's request channel
// (buffer 1) holds at most one more, whatever the number of webhooks and
// syncs and drift checks that asked; and wait holds that fetch until the interval since the
// last fetch's start has passed. A flood of N hooks in T seconds thus costs
// at most 1 + T/interval fetches, and no memory per hook. Ref changes the
// source's own watch sees (a local commit) are fetched at once: they cannot
// be flooded from outside, and waiting would slow every deploy.
type fetchLimit struct {
	mu      sync.Mutex
	count   uint64    // fetches started by this process
	last    time.Time // start of the last fetch
	delayed uint64    // fetches held back by the interval, logged now and then
	logged  time.Time // when held-back fetches were last logged
}

// interval is the source's minimum interval between fetches.
func (r *runner) interval() time.Duration {
	if r.cfg.MinFetchInterval > 0 {
		return r.cfg.MinFetchInterval
	}
	return DefaultMinFetchInterval
}

// wait returns when the next requested fetch may start (false: ctx ended).
// A ref change seen by the source's watch ends the wait at once: that fetch
// serves the request too, and a local commit never queues behind a webhook.
func (l *fetchLimit) wait(ctx context.Context, r *runner, changes <-chan struct{}) bool {
	l.mu.Lock()
	next := l.last.Add(r.interval())
	d := time.Until(next)
	if d > 0 {
		l.delayed++
		if time.Since(l.logged) >= time.Minute {
			r.m.log.Info("fetch requests arrive faster than the source's minimum fetch interval: coalesced",
				"source", r.name, "minFetchInterval", r.interval(), "fetches", l.count, "heldBack", l.delayed)
			l.logged, l.delayed = time.Now(), 0
		}
	}
	l.mu.Unlock()
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-changes:
		return true
	case <-t.C:
		return true
	}
}

// started counts a fetch starting at now and returns the count.
func (l *fetchLimit) started(now time.Time) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count++
	l.last = now
	return l.count
}

// stats returns the number of fetches and the start of the last one.
func (l *fetchLimit) stats() (uint64, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count, l.last
}
