package sourcestate

import "time"

// SourceStatus is the stored record of one source (meta "source/<name>").
type SourceStatus struct {
	Name                 string    `json:"name"`
	URL                  string    `json:"url"`
	Ref                  string    `json:"ref,omitempty"`
	Path                 string    `json:"path,omitempty"`
	LastAppliedCommit    string    `json:"lastAppliedCommit,omitempty"`
	LastAppliedAt        time.Time `json:"lastAppliedAt,omitzero"`
	LastAppliedAuthor    string    `json:"lastAppliedAuthor,omitempty"`
	LastAppliedMessage   string    `json:"lastAppliedMessage,omitempty"`
	LastAttemptedCommit  string    `json:"lastAttemptedCommit,omitempty"`
	LastAttemptedAt      time.Time `json:"lastAttemptedAt,omitzero"`
	LastAttemptedMessage string    `json:"lastAttemptedMessage,omitempty"`
	// Errors are the reasons the last attempted commit was not applied,
	// each "file:line:col: field: message"; empty when it was applied.
	Errors []string `json:"errors,omitempty"`
	// Objects is how many objects the applied commit holds.
	Objects int `json:"objects"`
	// FetchError is the last failure to fetch the source, cleared by the
	// next fetch that reaches Apply.
	FetchError   string    `json:"fetchError,omitempty"`
	FetchErrorAt time.Time `json:"fetchErrorAt,omitzero"`
	// LastForcedPush is the last applied force-push: the ref moved from
	// From (then applied) to To, which does not descend from it.
	LastForcedPush *ForcedPush `json:"lastForcedPush,omitempty"`
	// Drift counts changes made outside git to this source's objects.
	Drift DriftStatus `json:"drift,omitzero"`
}

// ForcedPush records a ref that moved to a commit not descending from the
// previously applied one.
type ForcedPush struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	At   time.Time `json:"at"`
}

// DriftMode is what a source does when its objects are changed outside git
// (through the API): heal restores the applied commit, warn only reports.
type DriftMode string

const (
	DriftHeal DriftMode = "heal"
	DriftWarn DriftMode = "warn"
)

// DriftStatus is what `reconcile status` shows of a source's drift.
type DriftStatus struct {
	// Found counts objects found changed outside git; Repaired those put
	// back as the applied commit has them (heal).
	Found    int `json:"found"`
	Repaired int `json:"repaired"`
	// Unrepaired are the objects that differ from git now (warn mode);
	// an object is counted once while it stays drifted.
	Unrepaired []string     `json:"unrepaired,omitempty"`
	Last       *DriftRecord `json:"last,omitempty"`
}

// DriftRecord is the last drift found.
type DriftRecord struct {
	At time.Time `json:"at"`
	// Object is Kind/namespace/name; Change what differed from git, e.g.
	// "spec.replicas is 5, git has 1" or "deleted outside git".
	Object   string `json:"object"`
	Change   string `json:"change"`
	Repaired bool   `json:"repaired"`
}

// HistoryEntry is one applied commit of a source (`reconcile history`).
type HistoryEntry struct {
	Commit     string    `json:"commit"`
	Author     string    `json:"author,omitempty"`
	Message    string    `json:"message,omitempty"`
	CommitTime time.Time `json:"commitTime,omitzero"`
	AppliedAt  time.Time `json:"appliedAt"`
	Created    int       `json:"created"`
	Updated    int       `json:"updated"`
	Deleted    int       `json:"deleted"`
	// Summary is the change per kind, e.g. "Deployment +1 ~2, Service -1".
	Summary string `json:"summary,omitempty"`
	// Forced: the ref had moved to a commit that does not descend from the
	// previously applied one (a force-push); ForcedFrom is that commit.
	Forced     bool   `json:"forced,omitempty"`
	ForcedFrom string `json:"forcedFrom,omitempty"`
	// Rollback: applied by `reconcile rollback`, not by following the ref.
	Rollback bool `json:"rollback,omitempty"`
}

// SourceHistory is a source's history as the API serves it (GET /api/v1/history).
type SourceHistory struct {
	Source  string         `json:"source"`
	Entries []HistoryEntry `json:"entries"`
}
