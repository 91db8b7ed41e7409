package metrics

import (
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

func TestHeadApplied(t *testing.T) {
	status := func(applied, attempted, fetchErr, pending string) apitypes.SourceStatus {
		return apitypes.SourceStatus{SourceStatus: reconcile.SourceStatus{LastAppliedCommit: applied, LastAttemptedCommit: attempted, FetchError: fetchErr},
			PendingCommit: pending}
	}
	for _, tc := range []struct {
		name string
		s    apitypes.SourceStatus
		want bool
	}{
		{"never synced", status("", "", "", ""), false},
		{"head applied", status("a1", "a1", "", ""), true},
		{"newest commit refused", status("a1", "b2", "", ""), false},
		{"first commit refused", status("", "b2", "", ""), false},
		{"git unreachable since", status("a1", "a1", "dial tcp: connection refused", ""), false},
		{"pinned by a rollback, newer commit waiting", status("a1", "a1", "", "c3"), false},
	} {
		if got := HeadApplied(tc.s); got != tc.want {
			t.Errorf("%s: HeadApplied = %v, want %v", tc.name, got, tc.want)
		}
	}
}
