package nodelease

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// DefaultFlushInterval is how often Run writes the renewals: well under
// the 10 s between two heartbeats of a node and the 40 s grace period,
// so another server sees a renewal about a second after it was taken.
const DefaultFlushInterval = time.Second

// maxPerTx bounds the leases one transaction writes: every node renewing
// within one interval (a controller restart makes 5,000 agents renew at
// once) must stay far below the store's transaction bound.
const maxPerTx = 2000

// Updater is what a flush needs of the store: one write transaction
// (*store.Store; any engine's store with side records).
type Updater interface {
	Update(fn func(tx *store.Tx) error) error
}

// Table is the API server's lease table: renewals in memory since the
// last flush. It is safe for concurrent use; the zero value is not, use
// NewTable.
type Table struct {
	mu      sync.Mutex
	pending map[string]time.Time // node → latest renewal not yet flushed
	renewed map[string]time.Time // node → latest renewal taken, flushed or not
	checked map[string]time.Time // node → when this server last saw its Node Ready (MarkChecked)
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{pending: map[string]time.Time{}, renewed: map[string]time.Time{}, checked: map[string]time.Time{}}
}

// Renew records a heartbeat of node at now. It never blocks on the store.
func (t *Table) Renew(node string, now time.Time) {
	t.mu.Lock()
	t.pending[node] = now
	t.renewed[node] = now
	t.mu.Unlock()
}

// MarkChecked records that this server saw node's Node Ready=True at now
// (a heartbeat read or wrote it).
func (t *Table) MarkChecked(node string, now time.Time) {
	t.mu.Lock()
	t.checked[node] = now
	t.mu.Unlock()
}

// Unchecked forgets node's check: its Ready condition was just set to
// something else (the agent reported its runtime down).
func (t *Table) Unchecked(node string) {
	t.mu.Lock()
	delete(t.checked, node)
	t.mu.Unlock()
}

// RenewChecked renews node at now without reading its Node when this
// server saw it Ready less than within ago, and says whether it did. The
// Node can only have left Ready=True since then through a ready report
// (which calls Unchecked here, or goes to another server) or the node
// lifecycle controller, which marks it Unknown only after its grace
// period without renewals: within (DefaultCheckInterval) is shorter, so
// the read that finds it Unknown comes before the agent's next-but-few
// heartbeats.
func (t *Table) RenewChecked(node string, now time.Time, within time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.checked[node]
	if !ok || now.Sub(c) >= within || now.Before(c) {
		return false
	}
	t.pending[node] = now
	t.renewed[node] = now
	return true
}

// DefaultCheckInterval is how long a heartbeat renews a node's lease
// without reading its Node after the last read found it Ready: a read
// every third heartbeat, well inside the 40 s grace period.
const DefaultCheckInterval = 30 * time.Second

// Forget drops node (deleted): its renewals in flight are not flushed.
func (t *Table) Forget(node string) {
	t.mu.Lock()
	delete(t.pending, node)
	delete(t.renewed, node)
	delete(t.checked, node)
	t.mu.Unlock()
}

// RenewTime is node's latest renewal this server took (flushed or not).
func (t *Table) RenewTime(node string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.renewed[node]
	return r, ok
}

// Pending is how many nodes renewed since the last flush.
func (t *Table) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// Flush writes the renewals taken since the last flush, in one
// transaction (one per maxPerTx leases), and returns how many it wrote.
// Renewals it could not write stay pending for the next flush, unless a
// newer one of the same node came meanwhile.
func (t *Table) Flush(st Updater) (int, error) {
	t.mu.Lock()
	batch := t.pending
	t.pending = make(map[string]time.Time, len(batch))
	t.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	written := 0
	for _, chunk := range chunks(batch, maxPerTx) {
		err := st.Update(func(tx *store.Tx) error {
			for node, at := range chunk {
				if err := tx.PutMeta(Key(node), Lease{HolderIdentity: node, LeaseDurationSeconds: DefaultDurationSeconds, RenewTime: at.UTC()}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.requeue(batch)
			return written, err
		}
		written += len(chunk)
		for node := range chunk {
			delete(batch, node)
		}
	}
	return written, nil
}

// requeue puts renewals that were not written back, unless a newer
// renewal of the node came while the flush ran or the node was forgotten.
func (t *Table) requeue(batch map[string]time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for node, at := range batch {
		if _, known := t.renewed[node]; !known {
			continue
		}
		if _, newer := t.pending[node]; !newer {
			t.pending[node] = at
		}
	}
}

// chunks splits m into maps of at most n entries.
func chunks(m map[string]time.Time, n int) []map[string]time.Time {
	if len(m) <= n {
		return []map[string]time.Time{m}
	}
	var out []map[string]time.Time
	cur := make(map[string]time.Time, n)
	for k, v := range m {
		if len(cur) == n {
			out = append(out, cur)
			cur = make(map[string]time.Time, n)
		}
		cur[k] = v
	}
	return append(out, cur)
}

// Run flushes every interval until ctx ends, then once more, so a
// controller stopping cleanly loses no renewal. A failed flush is logged
// and retried at the next tick.
func (t *Table) Run(ctx context.Context, st Updater, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = DefaultFlushInterval
	}
	if log == nil {
		log = slog.Default()
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			if _, err := t.Flush(st); err != nil {
				log.Warn("writing node leases at shutdown failed; agents renew them within 10 s of the next start", "err", err)
			}
			return
		case <-tick.C:
		}
		_, err := t.Flush(st)
		switch {
		case err != nil && !failing:
			log.Error("writing node leases to the store failed; retrying every interval (nodes may be marked NotReady if this lasts beyond the grace period)", "err", err, "interval", every)
		case err == nil && failing:
			log.Info("writing node leases to the store works again")
		}
		failing = err != nil
	}
}
