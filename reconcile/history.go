package reconcile

import (
	"fmt"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// HistoryLimit bounds the applied commits kept per source: enough to roll
// back a few weeks of a busy repo without the record growing forever.
const HistoryLimit = 100

func historyKey(source string) string { return "history/" + source }

// appendHistory records an applied commit, keeping the newest HistoryLimit.
func appendHistory(tx *store.Tx, source string, e HistoryEntry) error {
	var h []HistoryEntry
	if _, err := tx.GetMeta(historyKey(source), &h); err != nil {
		return fmt.Errorf("read history of source %q: %w", source, err)
	}
	h = append(h, e)
	if len(h) > HistoryLimit {
		h = h[len(h)-HistoryLimit:]
	}
	return tx.PutMeta(historyKey(source), h)
}

// GetHistory returns the applied commits of a source, newest first.
func GetHistory(st *store.Store, source string) ([]HistoryEntry, error) {
	var h []HistoryEntry
	if _, err := st.GetMeta(historyKey(source), &h); err != nil {
		return nil, fmt.Errorf("read history of source %q: %w", source, err)
	}
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	return h, nil
}

// historyEntry summarises an executed plan.
func historyEntry(commit CommitInfo, res ApplyResult, now time.Time) HistoryEntry {
	return HistoryEntry{
		Commit: commit.Hash, Author: commit.Author, Message: commit.Message, CommitTime: commit.Time, AppliedAt: now,
		Created: res.Created, Updated: res.Updated, Deleted: res.Deleted, Summary: ChangeSummary(res.Plan),
		Forced: commit.ForcedFrom != "", ForcedFrom: commit.ForcedFrom, Rollback: commit.Rollback,
	}
}

// ChangeSummary says per kind what a plan creates (+), updates (~) and
// deletes (-), kinds in the plan's order (apply order, then kinds that are
// only deleted): "Deployment +1 ~2, Service -1";
// "no changes" for an empty plan.
func ChangeSummary(p Plan) string {
	type counts struct{ c, u, d int }
	per := map[string]*counts{}
	var order []string
	for _, ch := range p.Changes {
		k := per[ch.Key.Kind]
		if k == nil {
			k = &counts{}
			per[ch.Key.Kind] = k
			order = append(order, ch.Key.Kind)
		}
		switch ch.Action {
		case Create:
			k.c++
		case Update:
			k.u++
		case Delete:
			k.d++
		}
	}
	if len(order) == 0 {
		return "no changes"
	}
	parts := make([]string, 0, len(order))
	for _, kind := range order {
		k := per[kind]
		var b strings.Builder
		b.WriteString(kind)
		for _, x := range []struct {
			sign string
			n    int
		}{{"+", k.c}, {"~", k.u}, {"-", k.d}} {
			if x.n > 0 {
				fmt.Fprintf(&b, " %s%d", x.sign, x.n)
			}
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, ", ")
}
