package sources

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// DriftCheckInterval is how often every source's applied commit is checked
// against the store, besides the checks store events trigger at once.
var DriftCheckInterval = time.Minute

// driftDebounce gathers the events of one hand edit (or of the applier's
// own writes) into one check.
const driftDebounce = 200 * time.Millisecond

// driftMode is the source's drift handling (heal unless warn is asked for).
func (r *runner) driftMode() reconcile.DriftMode {
	if r.cfg.Drift == reconcile.DriftWarn {
		return reconcile.DriftWarn
	}
	return reconcile.DriftHeal
}

// startDriftRun runs in the loop's fetch: a requested drift check forgets
// the last tried commit, so the loop validates and plans the applied commit
// again; commitInfo then marks the apply as a drift check. The planner's
// memo is sound for this (an object changed through the API has a new
// resourceVersion and generation, so it is compared again).
func (r *runner) startDriftRun() bool {
	run := r.pin.driftCheck.Swap(false)
	r.pin.mu.Lock()
	r.pin.driftRun = run
	r.pin.mu.Unlock()
	if run {
		r.lastTried = ""
	}
	return run
}

// driftSnapshot is the commit a drift check runs on: the fetched one, or
// the applied one when the ref holds a commit already refused (invalid or
// unsigned) or cannot be fetched, so drift is healed while the last good
// commit keeps running.
func (r *runner) driftSnapshot(ctx context.Context, snap *gitsync.Snapshot, err error) (*gitsync.Snapshot, error) {
	st, serr := reconcile.GetSourceStatus(r.m.st, r.name)
	if serr != nil || st.LastAppliedCommit == "" {
		return snap, err
	}
	if err == nil && (snap.Commit == st.LastAppliedCommit || snap.Commit != st.LastAttemptedCommit || len(st.Errors) == 0) {
		return snap, err // the applied commit, or a new one: the loop applies it
	}
	var refused *gitsync.UnverifiedError
	if errors.As(err, &refused) && refused.Commit != nil && refused.Commit.Commit != st.LastAttemptedCommit {
		// A new head that fails its signature check is an attempt to
		// record, even when this fetch also serves a drift check (they
		// coalesce): the loop records the refusal, and the drift check
		// runs again on the next fetch, against the applied commit.
		r.pin.driftCheck.Store(true)
		r.request()
		return snap, err
	}
	applied, aerr := r.src.SnapshotOf(ctx, st.LastAppliedCommit)
	if aerr != nil {
		return snap, err
	}
	r.rt.mu.Lock() // what was learned when it was applied (SnapshotOf checks no signature)
	applied.SignedBy, applied.ResolvedRef = r.rt.signedBy, r.rt.resolvedRef
	r.rt.mu.Unlock()
	return applied, nil
}

func (r *runner) requestDriftCheck() {
	r.pin.driftCheck.Store(true)
	r.request()
}

// watchBackoff spaces the retries of a store watch that cannot start:
// 1 s, doubling up to 30 s; a watch that starts resets it.
var watchBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Steps: math.MaxInt32, Cap: 30 * time.Second}

// watchDrift follows the store: a change to an object a source owns
// (carrying its source annotation) that is more than a status update asks
// that source for a drift check; every DriftCheckInterval all sources are
// checked. The applier's own writes cause a check that finds nothing.
func (m *Manager) watchDrift(ctx context.Context) {
	tick := time.NewTicker(DriftCheckInterval)
	defer tick.Stop()
	seen := map[objects.Key]string{} // what a status-only update keeps
	backoff := watchBackoff
	for ctx.Err() == nil {
		events, err := m.st.WatchShared(ctx, m.st.ResourceVersion()) // driftEvent only reads
		if err != nil {
			d := backoff.Step()
			m.log.Warn("drift watch failed; retrying", "in", d, "err", err)
			ctxwait.Sleep(ctx, d)
			continue
		}
		backoff = watchBackoff
		dirty := map[*runner]bool{}
		var debounce <-chan time.Time
	follow:
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					// The watch ended: this watcher fell behind, or the
					// store reloaded (a snapshot restored under the running
					// servers). Check every source against the store now,
					// so git's commit is applied again over a restored
					// older state, then start a new watch.
					for _, r := range m.runners {
						r.requestDriftCheck()
					}
					break follow
				}
				if r := m.driftEvent(ev, seen); r != nil {
					dirty[r] = true
					if debounce == nil {
						debounce = time.After(driftDebounce)
					}
				}
			case <-debounce:
				for r := range dirty {
					r.requestDriftCheck()
				}
				dirty, debounce = map[*runner]bool{}, nil
			case <-tick.C:
				for _, r := range m.runners {
					r.requestDriftCheck()
				}
			}
		}
	}
}

// driftEvent returns the source whose object an event changed beyond its
// status, or nil.
func (m *Manager) driftEvent(ev store.Event, seen map[objects.Key]string) *runner {
	o := ev.Object
	if o == nil {
		return nil
	}
	r := m.runners[o.GetAnnotations()[objects.AnnotationSource]]
	if r == nil {
		return nil
	}
	key := objects.KeyOf(o)
	if ev.Type == store.Deleted {
		delete(seen, key)
		return r
	}
	// A status update keeps the generation, labels and annotations.
	mark := driftMark(o)
	prev, known := seen[key]
	seen[key] = mark
	if known && prev == mark {
		return nil
	}
	return r
}

// driftMark is what a status-only update leaves as it was: uid,
// generation (raised by every spec change), labels and annotations.
func driftMark(o objects.Object) string {
	parts := []string{string(o.GetUID()), strconv.FormatInt(o.GetGeneration(), 10)}
	for k, v := range o.GetLabels() {
		parts = append(parts, "l:"+k+"="+v)
	}
	for k, v := range o.GetAnnotations() {
		parts = append(parts, "a:"+k+"="+v)
	}
	slices.Sort(parts[2:])
	return strings.Join(parts, "\x00")
}

// logDrift logs what a drift check found (nothing when nothing drifted).
func (r *runner) logDrift(out reconcile.ApplyResult) {
	d := out.Status.Drift.Last
	if d == nil || len(out.Plan.Changes) == 0 {
		return
	}
	if d.Repaired {
		r.m.log.Warn("drift repaired: objects changed outside git were put back as git has them", "source", r.name,
			"objects", len(out.Plan.Changes), "object", d.Object, "change", d.Change)
		return
	}
	r.m.log.Warn("drift found: objects differ from git (drift: warn, not reverted)", "source", r.name,
		"objects", len(out.Plan.Changes), "object", d.Object, "change", d.Change)
}
