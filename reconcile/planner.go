package reconcile

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Planner is PlanChanges with a memory, for planning commit after commit of
// the same sources against the same store. The expensive part of a plan is
// comparing each desired object's spec with the stored one's. A Planner
// remembers, per source and desired object (by pointer), verdicts about
// it (from a file) and the stored object of its key:
//
//   - "same spec" as the stored spec named by uid and generation: the spec
//     comparison is skipped, labels, annotations and ownership are still
//     checked (cheap). A status update by a controller (new
//     resourceVersion, same generation) thus costs no spec comparison.
//   - "unchanged" against the stored object with that resourceVersion: the
//     object is skipped with one map lookup.
//
// The schema package returns the same object pointers for files whose blob
// did not change, so re-planning a 10,000-object commit that changed one
// file compares one spec.
//
// Why that is sound. The desired object must not be modified after it was
// planned (schema's cached objects never are; a caller that edits objects
// in place must pass new ones or use PlanChanges). The store gives every
// committed write a new resourceVersion, raises the generation on every
// committed change outside metadata and status (and only there), and gives
// a recreated object a new uid; so (uid, generation) names one committed
// spec and a resourceVersion one committed object. Any change from git, a
// controller or an API client therefore misses the memo and is compared
// again. Verdicts are taken only from committed states: stored objects as
// listed, and objects Apply wrote after its transaction committed (a
// failed transaction's resourceVersions and generations are handed out
// again). Stored objects without uid or generation (an offline diff's
// stamped base) are never remembered. Use one Planner per store.
//
// A Planner is safe for concurrent use; plans of one source are serialised.
type Planner struct {
	mu    sync.Mutex
	memos map[string]*memo // by source name
}

// NewPlanner returns a Planner with an empty memory.
func NewPlanner() *Planner { return &Planner{memos: map[string]*memo{}} }

// Plan is PlanChanges, skipping the spec comparison of objects already
// known to be unchanged. The result is the same as PlanChanges'.
func (pl *Planner) Plan(desired []Desired, stored []objects.Object, opts PlanOptions) Plan {
	m := pl.memo(opts.Source)
	m.mu.Lock()
	defer m.mu.Unlock()
	return plan(desired, stored, opts, m)
}

// Forget drops every remembered verdict (e.g. after the store was
// replaced by another one).
func (pl *Planner) Forget() {
	pl.mu.Lock()
	pl.memos = map[string]*memo{}
	pl.mu.Unlock()
}

func (pl *Planner) memo(source string) *memo {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	m, ok := pl.memos[source]
	if !ok {
		m = &memo{entries: map[objects.Object]*verdict{}}
		pl.memos[source] = m
	}
	return m
}

// rememberWritten records the objects a committed apply of plan p wrote:
// each was written as its desired object plans, so that desired object has
// the stored spec (the store set uid and generation on Change.Object).
func (pl *Planner) rememberWritten(p Plan, desired []Desired) {
	if len(p.Changes) == 0 {
		return
	}
	byKey := make(map[objects.Key]Desired, len(p.Changes))
	for _, c := range p.Changes {
		if c.Action != Delete {
			byKey[c.Key] = Desired{}
		}
	}
	for _, d := range desired {
		k := keyOf(d.Object)
		if prev, ok := byKey[k]; ok && prev.Object == nil {
			byKey[k] = d
		}
	}
	m := pl.memo(p.Source)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range p.Changes {
		if d := byKey[c.Key]; d.Object != nil && c.Action != Delete {
			m.remember(d, c.Object, false) // metadata checked next time
		}
	}
}

// memo holds the spec verdicts of one source. A nil *memo is a valid memo
// that remembers nothing (PlanChanges).
type memo struct {
	mu      sync.Mutex
	entries map[objects.Object]*verdict // by desired object (pointer)
	// round numbers the plans; verdicts used or made in a round are kept,
	// the others (objects no longer desired, changed, or refused) are
	// dropped at its end, so the memo keeps no object the commit lost.
	round   uint64
	touched int
	// index is plan's map from stored key to position, kept between plans
	// and cleared: a new one per plan was 1 MB of garbage per commit in a
	// 10,000-object source, and garbage is what makes the GC run.
	index     map[objects.Key]int
	indexSize int
	// usage is the quota usage of stored objects (quota_memo.go).
	usage map[objects.Object]*usageEntry
}

// verdict: the desired object (the pointer it is filed under), from this
// file, has the spec of the
// stored object with this uid and generation; and when storedRV is set, it
// is unchanged (metadata included) against the stored object with that
// resourceVersion.
type verdict struct {
	path       string
	uid        types.UID
	generation int64
	storedRV   string
	round      uint64
}

// storedIndex returns an empty map for n stored keys: the memo's own
// (plans of one source are serialised), or a new one without a memo.
func (m *memo) storedIndex(n int) map[objects.Key]int {
	if m == nil {
		return make(map[objects.Key]int, n)
	}
	if m.index == nil || n > m.indexSize || n < m.indexSize/4 {
		m.index, m.indexSize = make(map[objects.Key]int, n), n
	} else {
		clear(m.index)
	}
	return m.index
}

func (m *memo) start() {
	if m == nil {
		return
	}
	m.round++
	m.touched = 0
}

// unchanged reports whether a remembered verdict says d is unchanged
// against s as a whole: s is the very stored version (same
// resourceVersion) the verdict was reached on. It marks the verdict used.
func (m *memo) unchanged(d Desired, s objects.Object) bool {
	v := m.lookup(d, s)
	if v == nil || v.storedRV == "" || v.storedRV != s.GetResourceVersion() {
		return false
	}
	m.use(v)
	return true
}

// sameSpec reports whether a remembered verdict says d has s's spec
// (same uid and generation). It marks the verdict used.
func (m *memo) sameSpec(d Desired, s objects.Object) bool {
	v := m.lookup(d, s)
	if v == nil || v.generation != s.GetGeneration() {
		return false
	}
	m.use(v)
	return true
}

func (m *memo) lookup(d Desired, s objects.Object) *verdict {
	if m == nil {
		return nil
	}
	v, ok := m.entries[d.Object]
	if !ok || v.path != d.Path || v.uid == "" || v.uid != s.GetUID() {
		return nil
	}
	return v
}

func (m *memo) use(v *verdict) {
	if v.round != m.round {
		v.round = m.round
		m.touched++
	}
}

// remember records that d has the spec of s, and with whole that d is
// unchanged against this version of s.
func (m *memo) remember(d Desired, s objects.Object, whole bool) {
	if m == nil || s.GetUID() == "" || s.GetGeneration() == 0 {
		return
	}
	v, ok := m.entries[d.Object]
	if !ok {
		v = &verdict{}
		m.entries[d.Object] = v
	}
	m.use(v)
	*v = verdict{path: d.Path, uid: s.GetUID(), generation: s.GetGeneration(), round: m.round}
	if whole && s.GetResourceVersion() != "" {
		v.storedRV = s.GetResourceVersion()
	}
}

// sweep drops the verdicts this round did not use or make.
func (m *memo) sweep() {
	if m == nil || m.touched == len(m.entries) {
		return
	}
	for k, v := range m.entries {
		if v.round != m.round {
			delete(m.entries, k)
		}
	}
}
