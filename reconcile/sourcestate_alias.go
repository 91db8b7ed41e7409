package reconcile

import "github.com/reconcile-dev/reconcile/reconcile/sourcestate"

// A source's records live in package sourcestate (importable by clients
// without the store); these aliases keep their names here.
type (
	SourceStatus  = sourcestate.SourceStatus
	ForcedPush    = sourcestate.ForcedPush
	DriftMode     = sourcestate.DriftMode
	DriftStatus   = sourcestate.DriftStatus
	DriftRecord   = sourcestate.DriftRecord
	HistoryEntry  = sourcestate.HistoryEntry
	SourceHistory = sourcestate.SourceHistory
)

// Drift modes (sourcestate.DriftHeal, DriftWarn).
const (
	DriftHeal = sourcestate.DriftHeal
	DriftWarn = sourcestate.DriftWarn
)
