package sources

import (
	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
)

// refuse records a commit that failed signature verification as the last
// attempted one, once per commit; the last applied commit keeps running.
func (r *runner) refuse(e *gitsync.UnverifiedError) error {
	if e.Commit.Commit == r.lastTried {
		return nil
	}
	r.lastTried = e.Commit.Commit
	r.rt.attempted(e.Commit)
	if err := reconcile.RecordRefused(r.m.writer().st, r.info(), commitInfo(e.Commit), e.Reason); err != nil {
		return err
	}
	if o := r.m.observer; o != nil {
		o.CommitDone(r.name, ResultInvalid, 0, 1) // refused whole before validation: one error, the signature's
	}
	r.m.log.Warn("commit refused: signature check failed, nothing applied, the last good commit keeps running",
		"source", r.name, "commit", short(e.Commit.Commit), "author", e.Commit.Author, "reason", e.Reason)
	return nil
}
