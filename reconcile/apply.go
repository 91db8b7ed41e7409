package reconcile

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// SourceInfo names a git source and where it reads from.
type SourceInfo struct {
	Name, URL, Ref, Path string
}

// CommitInfo is the commit being applied.
type CommitInfo struct {
	Hash, Author, Message string
	Time                  time.Time
	// ForcedFrom is the previously applied commit when the ref moved to a
	// commit that does not descend from it (a force-push): recorded in the
	// status and the history.
	ForcedFrom string
	// Rollback marks a commit applied by `reconcile rollback`.
	Rollback bool
	// Drift, when set, makes this a drift check of the applied commit
	// rather than an apply (drift.go): DriftHeal re-applies what differs,
	// DriftWarn only records it.
	Drift DriftMode
}

// ApplyOptions are the source's pruning policy.
type ApplyOptions struct {
	Prune      bool
	AllowEmpty bool
}

// ApplyResult says what Apply did.
type ApplyResult struct {
	Created, Updated, Deleted, Unchanged int
	// Plan is the executed plan (or the refused one, with Errors).
	Plan   Plan
	Status SourceStatus
}

func statusKey(name string) string { return "source/" + name }

// Applier applies commits of git sources to one store, remembering what it
// found unchanged (see Planner) so that a commit changing one file of
// 10,000 compares one object. Keep one Applier per store for the life of
// the process.
type Applier struct {
	st      *store.Store
	planner *Planner
	net     ServiceNetwork // zero: DefaultServiceNetwork (allocate.go)
}

// NewApplier returns an Applier for st.
func NewApplier(st *store.Store) *Applier {
	return &Applier{st: st, planner: NewPlanner()}
}

// On returns an Applier writing through st (the store fenced by a leader's
// term: store.Fenced) that shares a's memory of plans and settings; use
// one of them at a time.
func (a *Applier) On(st *store.Store) *Applier {
	return &Applier{st: st, planner: a.planner, net: a.net}
}

// Apply applies one commit of a source without a memory of earlier plans:
// NewApplier(st).Apply. Long-running callers keep an Applier instead.
func Apply(st *store.Store, src SourceInfo, commit CommitInfo, desired []Desired, errs []string, opts ApplyOptions) (ApplyResult, error) {
	return NewApplier(st).Apply(src, commit, desired, errs, opts)
}

// Apply applies one commit of a source. With errs (the commit's validation
// errors) nothing is applied: the status records the attempted commit and
// its errors and keeps the last applied one. Otherwise, in one store
// transaction, it lists the stored objects, plans, executes the plan and
// records the commit as applied; a plan with errors (an object owned by
// another source) is refused like an invalid commit. The returned error is
// for store failures only. The desired objects must not be modified
// afterwards (the Applier remembers them by pointer).
func (a *Applier) Apply(src SourceInfo, commit CommitInfo, desired []Desired, errs []string, opts ApplyOptions) (ApplyResult, error) {
	var res ApplyResult
	executed := false
	now := time.Now().UTC()
	validationErrs := errs
	err := a.st.Update(func(tx *store.Tx) error {
		// The store may run this again (etcd engine, another server
		// wrote first): start from the inputs each time.
		res, errs, executed = ApplyResult{}, slices.Clone(validationErrs), false
		status, err := loadStatus(tx, src)
		if err != nil {
			return err
		}
		if commit.Drift == "" {
			status.LastAttemptedCommit, status.LastAttemptedAt, status.LastAttemptedMessage = commit.Hash, now, commit.Message
			status.FetchError, status.FetchErrorAt = "", time.Time{}
		}
		if len(errs) == 0 {
			// Shared, read-only objects: the planner never modifies its
			// inputs, and ownPlan copies the few the result hands out.
			stored, err := tx.ListShared("", "")
			if err != nil {
				return err
			}
			res.Plan = ownPlan(a.planner.Plan(desired, stored, PlanOptions{Source: src.Name, Commit: commit.Hash, Prune: opts.Prune, AllowEmpty: opts.AllowEmpty}))
			for _, e := range res.Plan.Errors {
				errs = append(errs, e.Error())
			}
		}
		if len(errs) == 0 { // Services get their clusterIP and nodePorts (allocate.go)
			conflicts, err := a.allocateServices(tx, res.Plan)
			if err != nil {
				return err
			}
			res.Plan.Errors = append(res.Plan.Errors, conflicts...)
			for _, e := range conflicts {
				errs = append(errs, e.Error())
			}
		}
		if len(errs) > 0 {
			res.Plan.Changes = nil
			status.Errors = errs
			res.Status = status
			return tx.PutMeta(statusKey(src.Name), status)
		}
		if commit.Drift != "" && !recordDrift(&status, commit.Drift, res.Plan, now) {
			res.Status = status // no drift, or only reported (warn)
			return tx.PutMeta(statusKey(src.Name), status)
		}
		if err := execute(tx, res.Plan, &res); err != nil {
			return err
		}
		executed = true
		res.Unchanged = res.Plan.Unchanged
		if commit.Drift != "" { // repaired: the applied commit is unchanged
			res.Status = status
			return tx.PutMeta(statusKey(src.Name), status)
		}
		status.LastAppliedCommit, status.LastAppliedAt = commit.Hash, now
		status.LastAppliedAuthor, status.LastAppliedMessage = commit.Author, commit.Message
		status.Errors, status.Objects = nil, len(desired)
		if commit.ForcedFrom != "" {
			status.LastForcedPush = &ForcedPush{From: commit.ForcedFrom, To: commit.Hash, At: now}
		}
		res.Status = status
		if err := appendHistory(tx, src.Name, historyEntry(commit, res, now)); err != nil {
			return err
		}
		return tx.PutMeta(statusKey(src.Name), status)
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply commit %s of source %q: %w", commit.Hash, src.Name, err)
	}
	if executed { // only committed writes make verdicts
		a.planner.rememberWritten(res.Plan, desired)
	}
	return res, nil
}

// ownPlan replaces the stored objects a plan refers to (shared with the
// store's cache) by copies, so the caller of Apply may keep or modify them.
func ownPlan(p Plan) Plan {
	for i := range p.Changes {
		if p.Changes[i].Old != nil {
			p.Changes[i].Old = objects.Copy(p.Changes[i].Old)
		}
	}
	return p
}

// execute writes the plan. Change.Object is the plan's own object, so the
// store may set uid, resourceVersion and the like on it: the result then
// shows what was stored.
func execute(tx *store.Tx, p Plan, res *ApplyResult) error {
	for _, c := range p.Changes {
		var err error
		switch c.Action {
		case Create:
			err = tx.Create(c.Object)
			res.Created++
		case Update:
			err = tx.Update(c.Object)
			res.Updated++
		case Delete:
			// Pods go gracefully: a running one is marked terminating and
			// its agent stops it (SIGTERM, grace period) before removing it.
			err = tx.DeleteGracefully(c.Key, time.Now())
			res.Deleted++
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.Action, c.Key, err)
		}
	}
	return nil
}

// loadStatus reads a source's status, refreshing where it reads from.
func loadStatus(tx *store.Tx, src SourceInfo) (SourceStatus, error) {
	var s SourceStatus
	if _, err := tx.GetMeta(statusKey(src.Name), &s); err != nil {
		return s, fmt.Errorf("read status of source %q: %w", src.Name, err)
	}
	s.Name, s.URL, s.Ref, s.Path = src.Name, src.URL, src.Ref, src.Path
	return s, nil
}

// RecordFetchError notes in the source's status that fetching failed; the
// last applied commit keeps running.
func RecordFetchError(st *store.Store, src SourceInfo, fetchErr error) error {
	return st.Update(func(tx *store.Tx) error {
		s, err := loadStatus(tx, src)
		if err != nil {
			return err
		}
		s.FetchError, s.FetchErrorAt = fetchErr.Error(), time.Now().UTC()
		return tx.PutMeta(statusKey(src.Name), s)
	})
}

// GetSourceStatus returns the stored status of a source; a source that
// has not synced yet has a status with only its name.
func GetSourceStatus(st *store.Store, name string) (SourceStatus, error) {
	s := SourceStatus{Name: name}
	if _, err := st.GetMeta(statusKey(name), &s); err != nil {
		return s, fmt.Errorf("read status of source %q: %w", name, err)
	}
	return s, nil
}

// ListSourceStatuses returns every stored source status, by name.
func ListSourceStatuses(st *store.Store) ([]SourceStatus, error) {
	recs, err := st.ListMeta("source/")
	if err != nil {
		return nil, err
	}
	out := make([]SourceStatus, 0, len(recs))
	for _, r := range recs {
		var s SourceStatus
		if err := json.Unmarshal(r.Value, &s); err != nil {
			return nil, fmt.Errorf("decode status %s: %w", r.Key, err)
		}
		out = append(out, s)
	}
	return out, nil
}
