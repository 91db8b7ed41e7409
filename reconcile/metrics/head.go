package metrics

import "github.com/reconcile-dev/reconcile/reconcile/apitypes"

// HeadApplied says whether what a source's ref points at is running: the
// last commit fetched was applied, no fetch has failed since, and no
// rollback pin holds back a newer commit. A source that never applied
// anything is not.
func HeadApplied(s apitypes.SourceStatus) bool {
	return s.LastAppliedCommit != "" && s.LastAttemptedCommit == s.LastAppliedCommit &&
		s.FetchError == "" && s.PendingCommit == ""
}
