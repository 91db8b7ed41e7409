package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// podIndex is the stored pods by spec.nodeName, kept in memory as commits
// publish their events (like the counts), so that an agent's list of its
// own pods reads its pods, not every pod key of the cluster: with 5,000
// agents listing at 150,000 pods that walk was 750 million keys
// (BENCHMARKS.md, issue 13: 150,000 pods). Kubernetes' watch cache keeps
// the same index (its cacher's spec.nodeName trigger). Nothing is written
// to Badger or to the etcd log: both engines publish every commit through
// Store.committed, where the index follows; it is built on first use from
// one read transaction (so a process that never lists by node pays
// nothing) and dropped when a checkpoint replaces the view.
type podIndex struct {
	mu    sync.RWMutex
	built bool
	rv    uint64                         // the resourceVersion the index is at
	node  map[string]string              // Badger key of a bound pod → its node
	pods  map[string]map[string]struct{} // node → Badger keys of its pods
}

// ListPodsOnNode returns the pods bound to node (spec.nodeName), sorted by
// key, as ListShared("Pod", "") filtered by spec.nodeName would, and the
// store's resourceVersion at the time of the list: watching from it misses
// nothing. Like ListShared, the objects are shared and read-only. Its cost
// is the node's pods, not the store's.
func (s *Store) ListPodsOnNode(node string) ([]objects.Object, uint64, error) {
	for try := 1; ; try++ {
		var out []objects.Object
		var rv uint64
		again := false
		err := s.view(func(txn *badger.Txn) error {
			var err error
			if rv, err = readRV(txn); err != nil {
				return err
			}
			keys, at, err := s.pods.keysOn(s, node)
			if err != nil {
				return err
			}
			if at != rv {
				// A commit is in Badger but not yet in the index (or the
				// other way round): the two differ for a moment only.
				again = true
				return nil
			}
			out = make([]objects.Object, 0, len(keys))
			for _, k := range keys {
				item, err := txn.Get([]byte(k))
				if errors.Is(err, badger.ErrKeyNotFound) {
					return fmt.Errorf("store: the index of pods by node names %s, which is not stored (please report this bug)", k)
				}
				if err != nil {
					return err
				}
				o, err := s.cache.object(item, "Pod", nil, true)
				if err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
				out = append(out, o)
			}
			return nil
		})
		if err != nil || !again {
			return out, rv, err
		}
		if try%1000 == 0 {
			// Never seen: the index lost a commit. Build it again rather
			// than spin.
			logf("store: the index of pods by node is at another resourceVersion than the store after %d reads; rebuilding it", try)
			s.pods.reset()
		}
		runtime.Gosched()
	}
}

// keysOn returns node's pod keys, sorted, and the resourceVersion the
// index is at, building the index when it is not built. The caller holds
// the view (Store.view) first: loading a checkpoint takes the view's
// lock, then the index's (reloaded).
func (x *podIndex) keysOn(s *Store, node string) ([]string, uint64, error) {
	x.mu.RLock()
	if !x.built {
		x.mu.RUnlock()
		if err := x.build(s.db); err != nil {
			return nil, 0, err
		}
		x.mu.RLock()
	}
	defer x.mu.RUnlock()
	set := x.pods[node]
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, x.rv, nil
}

// build reads every pod's node from a read transaction it opens while it
// holds the index's lock, not from the caller's: a commit published
// between the caller's read and this lock was dropped by apply (not
// built yet), so the index must be read after it. Badger commits before
// the commit is published, so every commit is either in this transaction
// or applied after it (one in both sets the same entries again).
func (x *podIndex) build(db *badger.DB) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.built {
		return nil
	}
	txn := db.NewTransaction(false)
	defer txn.Discard()
	rv, err := readRV(txn)
	if err != nil {
		return err
	}
	node, pods := map[string]string{}, map[string]map[string]struct{}{}
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: listPrefix("Pod", "")})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var n struct {
			Spec struct {
				NodeName string `json:"nodeName"`
			} `json:"spec"`
		}
		item := it.Item()
		if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &n) }); err != nil {
			return fmt.Errorf("index pods by node: %s: %w", item.Key(), err)
		}
		if n.Spec.NodeName != "" {
			indexAdd(node, pods, string(item.Key()), n.Spec.NodeName)
		}
	}
	x.node, x.pods, x.rv, x.built = node, pods, rv, true
	return nil
}

// apply follows one published commit (its events, at rv). Called with the
// writers' lock held, after Badger committed.
func (x *podIndex) apply(evs []Event, rv uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.built {
		return
	}
	for _, ev := range evs {
		if objects.KindOf(ev.Object) != "Pod" {
			continue
		}
		key := string(objectKey(objects.KeyOf(ev.Object)))
		indexRemove(x.node, x.pods, key) // a large pod's Deleted event has no spec: the index knows its node
		if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != Deleted && p.Spec.NodeName != "" {
			indexAdd(x.node, x.pods, key, p.Spec.NodeName)
		}
	}
	x.rv = max(x.rv, rv)
}

// reset drops the index after the view's content was replaced; the next
// list builds it again.
func (x *podIndex) reset() {
	x.mu.Lock()
	x.built, x.node, x.pods, x.rv = false, nil, nil, 0
	x.mu.Unlock()
}

func indexAdd(node map[string]string, pods map[string]map[string]struct{}, key, n string) {
	node[key] = n
	if pods[n] == nil {
		pods[n] = map[string]struct{}{}
	}
	pods[n][key] = struct{}{}
}

func indexRemove(node map[string]string, pods map[string]map[string]struct{}, key string) {
	n, ok := node[key]
	if !ok {
		return
	}
	delete(node, key)
	delete(pods[n], key)
	if len(pods[n]) == 0 {
		delete(pods, n)
	}
}
