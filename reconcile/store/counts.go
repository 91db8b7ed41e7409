package store

import (
	"maps"
	"sync"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// kindCounts is the number of stored objects of each kind, kept as
// commits publish their events, so that a /metrics scrape of a store of
// 10,000 objects reads a small map instead of listing the store.
type kindCounts struct {
	mu sync.Mutex
	n  map[string]int
}

// load counts the objects by walking the keys once (no values), at open.
func (c *kindCounts) load(db *badger.DB) error {
	n := map[string]int{}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("o/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n[kindOfKey(it.Item().Key())]++
		}
		return nil
	})
	c.mu.Lock()
	c.n = n
	c.mu.Unlock()
	return err
}

// apply counts a committed transaction's events: a create adds one, a
// delete removes one (a delete and a create of one name in one
// transaction are two events and cancel out).
func (c *kindCounts) apply(evs []Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range evs {
		switch ev.Type {
		case Added:
			c.n[objects.KindOf(ev.Object)]++
		case Deleted:
			k := objects.KindOf(ev.Object)
			if c.n[k]--; c.n[k] <= 0 {
				delete(c.n, k)
			}
		}
	}
}

// Counts returns the number of stored objects of each kind (a copy). It
// reads a map the commits keep current: no store read.
func (s *Store) Counts() map[string]int {
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	return maps.Clone(s.counts.n)
}

// Size is Badger's own estimate of its files: the LSM tree (keys and small
// values) and the value log (large values), in bytes. Badger refreshes it
// about once a minute; an in-memory store is 0, 0.
func (s *Store) Size() (lsm, vlog int64) { return s.db.Size() }
