package sources

import (
	"sync"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// Status is what `reconcile status` shows of one source; the type is the
// API's wire struct (reconcile/apitypes), shared with the client.
type Status = apitypes.SourceStatus

// runtimeStatus is what a runner learned that the store does not hold.
type runtimeStatus struct {
	mu                  sync.Mutex
	resolvedRef         string
	lastAttemptedAuthor string
	signedBy            string
}

func (rs *runtimeStatus) attempted(snap *gitsync.Snapshot) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.resolvedRef, rs.lastAttemptedAuthor = snap.ResolvedRef, snap.Author
}

func (rs *runtimeStatus) applied(snap *gitsync.Snapshot) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.signedBy = snap.SignedBy
}

// status merges the stored record with the runner's knowledge.
func (r *runner) status() (Status, error) {
	stored, err := reconcile.GetSourceStatus(r.m.st, r.name)
	if err != nil {
		return Status{}, err
	}
	cfg := r.src.Config()
	s := Status{SourceStatus: stored, Verify: string(cfg.Verify.Mode), Namespace: r.cfg.Namespace,
		NextPollAt: r.src.NextPoll(), Webhook: r.cfg.WebhookSecretFile != ""}
	if s.Verify == "" {
		s.Verify = string(gitsync.VerifyOff)
	}
	if s.URL == "" { // not synced yet
		s.URL, s.Ref, s.Path = cfg.URL, cfg.Ref, cfg.Path
	}
	s.DriftMode = r.driftMode()
	pin, err := getPin(r.m.st, r.name)
	if err != nil {
		return Status{}, err
	}
	if pin != nil {
		s.Pinned, s.PinnedCommit, s.PinnedAt = true, pin.Commit, pin.At
		r.pin.mu.Lock()
		if p := r.pin.pending; p != nil && p.Commit != pin.Commit {
			s.PendingCommit, s.PendingCommitMessage = p.Commit, p.Message
		}
		r.pin.mu.Unlock()
	}
	s.Fetches, s.LastFetchAt = r.limit.stats()
	s.MinFetchInterval = r.interval()
	r.rt.mu.Lock()
	s.ResolvedRef, s.LastAttemptedAuthor, s.SignedBy = r.rt.resolvedRef, r.rt.lastAttemptedAuthor, r.rt.signedBy
	r.rt.mu.Unlock()
	return s, nil
}
