package sources

import (
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
)

// Status is what `reconcile status` shows of one source: the stored record
// (reconcile.SourceStatus) and what the running controller knows besides.
type Status struct {
	reconcile.SourceStatus
	// ResolvedRef is the tag a semver range ref resolved to.
	ResolvedRef string `json:"resolvedRef,omitempty"`
	// LastAttemptedAuthor is the author of the last attempted commit.
	LastAttemptedAuthor string `json:"lastAttemptedAuthor,omitempty"`
	// SignedBy names the trusted key that signed the applied commit (or tag).
	SignedBy string `json:"signedBy,omitempty"`
	// Verify is the signature policy: off, head or tag.
	Verify string `json:"verify,omitempty"`
	// Namespace receives the objects that name no namespace.
	Namespace string `json:"namespace,omitempty"`
	// NextPollAt is the next poll of a remote source; zero for a local one,
	// which is watched instead.
	NextPollAt time.Time `json:"nextPollAt,omitzero"`
	// Webhook says whether POST /hooks/<name> is enabled.
	Webhook bool `json:"webhook"`
	// Pinned is true while a rollback holds the source at an earlier
	// commit (new commits are fetched, not applied) until `reconcile sync
	// --resume`; PinnedCommit is that commit.
	Pinned       bool      `json:"pinned"`
	PinnedCommit string    `json:"pinnedCommit,omitempty"`
	PinnedAt     time.Time `json:"pinnedAt,omitzero"`
	// PendingCommit is the newest commit at the ref while pinned: fetched,
	// not applied.
	PendingCommit        string `json:"pendingCommit,omitempty"`
	PendingCommitMessage string `json:"pendingCommitMessage,omitempty"`
	// DriftMode is heal or warn (see SourceStatus.Drift for what was found).
	DriftMode reconcile.DriftMode `json:"driftMode"`
}

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
	r.rt.mu.Lock()
	s.ResolvedRef, s.LastAttemptedAuthor, s.SignedBy = r.rt.resolvedRef, r.rt.lastAttemptedAuthor, r.rt.signedBy
	r.rt.mu.Unlock()
	return s, nil
}
