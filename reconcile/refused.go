package reconcile

import (
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// RecordRefused notes in the source's status that a commit was fetched but
// refused before validation (an unsigned commit, or one signed by an
// unknown key): it becomes the last attempted commit with the reason as
// its error. Nothing is applied; the last applied commit keeps running.
func RecordRefused(st *store.Store, src SourceInfo, commit CommitInfo, reason string) error {
	return st.Update(func(tx *store.Tx) error {
		s, err := loadStatus(tx, src)
		if err != nil {
			return err
		}
		s.LastAttemptedCommit, s.LastAttemptedAt, s.LastAttemptedMessage = commit.Hash, time.Now().UTC(), commit.Message
		s.Errors = []string{reason}
		s.FetchError, s.FetchErrorAt = "", time.Time{}
		return tx.PutMeta(statusKey(src.Name), s)
	})
}
