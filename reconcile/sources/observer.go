package sources

import "time"

// Observer receives the source loop's measurements: reconcile/metrics
// turns them into Prometheus metrics. A nil observer (the default) costs a
// nil check.
type Observer interface {
	// Fetched reports one fetch of source (git fetch and checkout of the
	// tree at its ref); err is its failure, nil when it succeeded.
	Fetched(source string, d time.Duration, err error)
	// CommitDone reports one new commit of source carried through
	// validation and apply: result is ResultApplied, ResultInvalid (refused
	// whole: validation or plan errors, counted in errors; an unverified
	// signature is one error) or ResultFailed (the store write failed).
	// Drift checks are not reported.
	CommitDone(source, result string, d time.Duration, errors int)
}

// Results of CommitDone.
const (
	ResultApplied = "applied"
	ResultInvalid = "invalid"
	ResultFailed  = "failed"
)

// SetObserver sets the observer of every source's loop; call it before Run.
func (m *Manager) SetObserver(o Observer) { m.observer = o }

// commitResult is the result CommitDone names for an Apply's outcome:
// errs are the validation errors given to Apply, refused the errors of
// the status it wrote (those plus the plan's: a taken ClusterIP...).
func commitResult(applyErr error, errs, refused []string) string {
	switch {
	case applyErr != nil:
		return ResultFailed
	case len(errs) > 0 || len(refused) > 0:
		return ResultInvalid
	}
	return ResultApplied
}
