package sources

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// Pin is a source held at one commit by `reconcile rollback` (meta
// "sourcepin/<name>", so a restarted controller stays pinned): the ref is
// still fetched, but its commits are not applied until `reconcile sync
// --resume`.
type Pin struct {
	Commit string    `json:"commit"`
	At     time.Time `json:"at"`
}

func pinKey(source string) string { return "sourcepin/" + source }

// pinState is what a runner knows of its pin between fetches.
type pinState struct {
	mu sync.Mutex
	// snap is the pinned commit's snapshot, read once per rollback.
	snap *gitsync.Snapshot
	// pending is the newest commit at the ref while pinned (fetched, not applied).
	pending *gitsync.Snapshot
	// driftCheck asks the loop to check the applied commit against the
	// store (drift.go); driftRun says the current fetch serves such a check
	// (both live here as the loop's fetch consumes them).
	driftCheck atomic.Bool
	driftRun   bool
}

// getPin returns the stored pin of a source (nil: not pinned).
func getPin(st *store.Store, source string) (*Pin, error) {
	var p Pin
	ok, err := st.GetMeta(pinKey(source), &p)
	if err != nil || !ok {
		return nil, err
	}
	return &p, nil
}

// pinnedFetch wraps a source's fetch: while the source is pinned it still
// fetches (so status can show what waits) but hands the loop the pinned
// commit, which the loop applies once and then finds unchanged.
func (r *runner) pinnedFetch(fetch func(context.Context) (*gitsync.Snapshot, error)) func(context.Context) (*gitsync.Snapshot, error) {
	return func(ctx context.Context) (*gitsync.Snapshot, error) {
		driftRun := r.startDriftRun() // drift.go
		snap, err := fetch(ctx)
		if driftRun {
			snap, err = r.driftSnapshot(ctx, snap, err)
		}
		pin, perr := getPin(r.m.st, r.name)
		if perr != nil {
			return nil, perr
		}
		r.pin.mu.Lock()
		defer r.pin.mu.Unlock()
		if pin == nil {
			r.pin.snap, r.pin.pending = nil, nil
			return snap, err
		}
		if err == nil {
			r.pin.pending = snap
		}
		if r.pin.snap == nil || r.pin.snap.Commit != pin.Commit {
			if r.pin.snap, err = r.src.SnapshotOf(ctx, pin.Commit); err != nil {
				return nil, fmt.Errorf("source %q is pinned to %s, which cannot be read: %w; run `reconcile sync --resume` to follow the ref again", r.name, short(pin.Commit), err)
			}
		}
		s := *r.pin.snap
		s.Files = slices.Clone(s.Files)
		return &s, nil
	}
}

// commitInfo is the commit as Apply records it: a rollback when it is the
// pinned commit, a force-push when the ref moved to a commit that does not
// descend from the last applied one.
func (r *runner) commitInfo(snap *gitsync.Snapshot) reconcile.CommitInfo {
	ci := commitInfo(snap)
	r.pin.mu.Lock()
	ci.Rollback = r.pin.snap != nil && r.pin.snap.Commit == snap.Commit
	driftRun := r.pin.driftRun
	r.pin.mu.Unlock()
	st, err := reconcile.GetSourceStatus(r.m.st, r.name)
	if err != nil {
		return ci
	}
	if driftRun && st.LastAppliedCommit == snap.Commit {
		ci.Rollback, ci.Drift = false, r.driftMode()
		return ci
	}
	if ci.Rollback || st.LastAppliedCommit == "" || st.LastAppliedCommit == snap.Commit {
		return ci
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	descends, known, err := r.src.Descends(ctx, snap.Commit, st.LastAppliedCommit)
	if err == nil && known && !descends {
		ci.ForcedFrom = st.LastAppliedCommit
		r.m.log.Warn("force-push: the ref moved to a commit that does not descend from the applied one; applying it",
			"source", r.name, "from", short(st.LastAppliedCommit), "to", short(snap.Commit))
	}
	return ci
}

// runnerFor finds a source by name; "" is the only source, if there is one.
func (m *Manager) runnerFor(name string) (*runner, error) {
	if name == "" {
		if len(m.runners) == 1 {
			for _, r := range m.runners {
				return r, nil
			}
		}
		return nil, fmt.Errorf("there are %d sources: name one with --source (sources: %v)", len(m.runners), m.Names())
	}
	r, ok := m.runners[name]
	if !ok {
		return nil, fmt.Errorf("no source named %q (sources: %v)", name, m.Names())
	}
	return r, nil
}

// rollbackWait bounds how long Rollback waits for the source loop to apply
// the pinned commit (a validation and one store transaction).
const rollbackWait = 60 * time.Second

// Rollback applies an earlier commit of a source and pins the source there.
// The commit must be readable from the repository (a local repo or the
// remote's cache, fetched when missing) and valid; with signature
// verification on, it must be one this source applied before (and so
// verified then). It returns once the source loop has applied it.
func (m *Manager) Rollback(ctx context.Context, source, commit string) (reconcile.SourceStatus, error) {
	r, err := m.runnerFor(source)
	if err != nil {
		return reconcile.SourceStatus{}, err
	}
	snap, err := r.src.SnapshotOf(ctx, commit)
	if err != nil {
		return reconcile.SourceStatus{}, err
	}
	if v := r.src.Config().Verify.Mode; v != "" && v != gitsync.VerifyOff {
		h, err := reconcile.GetHistory(m.st, r.name)
		if err != nil {
			return reconcile.SourceStatus{}, err
		}
		if !slices.ContainsFunc(h, func(e reconcile.HistoryEntry) bool { return e.Commit == snap.Commit }) {
			return reconcile.SourceStatus{}, fmt.Errorf("source %q verifies signatures and commit %s was never applied (so never verified): roll back to a commit listed by `reconcile history --source %s`", r.name, short(snap.Commit), r.name)
		}
	}
	if res := m.validator.Validate(snap.Files); len(res.Errors) > 0 {
		return reconcile.SourceStatus{}, fmt.Errorf("commit %s of source %q is not valid now, nothing changed: %s (and %d more)", short(snap.Commit), r.name, res.Errors[0].Error(), len(res.Errors)-1)
	}
	if err := m.termWrite(func(tx *store.Tx) error {
		return tx.PutMeta(pinKey(r.name), Pin{Commit: snap.Commit, At: time.Now().UTC()})
	}); err != nil {
		return reconcile.SourceStatus{}, err
	}
	m.log.Info("rollback: source pinned", "source", r.name, "commit", short(snap.Commit))
	r.src.Trigger()
	st, err := m.waitAttempted(ctx, r.name, snap.Commit)
	if err != nil {
		return st, err
	}
	if st.LastAppliedCommit != snap.Commit {
		return st, fmt.Errorf("commit %s of source %q was not applied (the source stays pinned to it; `reconcile sync --resume` follows the ref again): %v", short(snap.Commit), r.name, st.Errors)
	}
	return st, nil
}

// termWrite writes a pin through the running term's store: on a control
// plane of several servers the leader's store fenced by its term, so a
// server that lost its leadership (paused, cut off, not yet aware) cannot
// pin or unpin after another server leads. Without a running term (the
// source loop does not run here: a server that does not lead, or between
// two terms) it refuses rather than write unfenced; a fenced refusal is
// the same ServiceUnavailable, nothing written.
func (m *Manager) termWrite(fn func(tx *store.Tx) error) error {
	t := m.term.Load()
	if t == nil {
		return apierrors.New(apierrors.ReasonServiceUnavailable, "the source loop does not run on this server now (it runs on the control plane's leader only, and starts with its term): rollback and resume were not carried out; send them to the leader, or retry in a few seconds")
	}
	err := t.st.Update(fn)
	if errors.Is(err, store.ErrFenced) {
		return apierrors.New(apierrors.ReasonServiceUnavailable, "rollback and resume were not carried out: %w", err)
	}
	return err
}

// waitAttempted waits until the source has attempted commit.
func (m *Manager) waitAttempted(ctx context.Context, source, commit string) (reconcile.SourceStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, rollbackWait)
	defer cancel()
	events, err := m.st.WatchShared(ctx, m.st.ResourceVersion()) // only a wake-up
	if err != nil {
		return reconcile.SourceStatus{}, err
	}
	tick := time.NewTicker(100 * time.Millisecond) // meta records send no watch events
	defer tick.Stop()
	for {
		st, err := reconcile.GetSourceStatus(m.st, source)
		if err != nil {
			return st, err
		}
		if st.LastAttemptedCommit == commit || st.LastAppliedCommit == commit {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("source %q did not apply %s within %s: see `reconcile status`", source, short(commit), rollbackWait)
		case <-events:
		case <-tick.C:
		}
	}
}

// Resume removes a source's pin: it follows its ref again from the next
// fetch, which starts now.
func (m *Manager) Resume(source string) error {
	r, err := m.runnerFor(source)
	if err != nil {
		return err
	}
	if err := m.termWrite(func(tx *store.Tx) error { return tx.DeleteMeta(pinKey(r.name)) }); err != nil {
		return err
	}
	m.log.Info("resume: source follows its ref again", "source", r.name)
	r.src.Trigger()
	return nil
}

// History returns the applied commits of a source ("" = the only one), newest first.
func (m *Manager) History(source string) (string, []reconcile.HistoryEntry, error) {
	r, err := m.runnerFor(source)
	if err != nil {
		return "", nil, err
	}
	h, err := reconcile.GetHistory(m.st, r.name)
	return r.name, h, err
}
