package controllers

import (
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Work items that are not objects: the built-in steps that run over the
// whole cache. Their kinds start with "#".
var (
	keySchedule    = objects.Key{Kind: "#schedule"}
	keyGC          = objects.Key{Kind: "#gc"}
	keyPruneEvents = objects.Key{Kind: "#events"}
	keyEvict       = objects.Key{Kind: "#evictions"}
	keyTaints      = objects.Key{Kind: "#taints"}
)

func builtIn(k objects.Key) bool { return strings.HasPrefix(k.Kind, "#") }

// DefaultMaxQueued bounds the queue's object keys (Options.MaxQueued).
const DefaultMaxQueued = 200_000

// retryBackoff is the delay of a key's retries after its first failure:
// 50 ms doubling to 10 s, so a persistent error (or a step that panics on
// one object) does not spin.
var retryBackoff = wait.Backoff{Duration: 50 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 64, Cap: 10 * time.Second}

// queue is the runner's set of dirty work items plus items due later. It
// is level-based: an item is a key, not an event, so many events on one
// object become one step. It holds at most max object keys (built-in
// items always fit): past that, new keys are dropped with one log line
// per overflow, and the periodic resync, which marks every object again
// once the queue has drained, brings them back.
type queue struct {
	dirty    map[string]map[objects.Key]bool // by kind
	nDirty   int
	later    map[objects.Key]time.Time
	failures map[objects.Key]*wait.Backoff
	max      int
	// full is set when a key was dropped, until the queue has room
	// again; onFull is called once per overflow.
	full    bool
	dropped int
	onFull  func(limit int, first objects.Key)
}

func newQueue(max int, onFull func(limit int, first objects.Key)) *queue {
	if max <= 0 {
		max = DefaultMaxQueued
	}
	return &queue{dirty: map[string]map[objects.Key]bool{}, later: map[objects.Key]time.Time{},
		failures: map[objects.Key]*wait.Backoff{}, max: max, onFull: onFull}
}

// admit reports whether k may enter the queue.
func (q *queue) admit(k objects.Key) bool {
	room := q.nDirty+len(q.later) < q.max
	if room {
		q.full = false
	}
	if room || builtIn(k) {
		return true
	}
	q.dropped++
	if !q.full {
		q.full = true
		if q.onFull != nil {
			q.onFull(q.max, k)
		}
	}
	return false
}

func (q *queue) add(k objects.Key) {
	m := q.dirty[k.Kind]
	if m[k] {
		return
	}
	if !q.admit(k) {
		return
	}
	if m == nil {
		m = map[objects.Key]bool{}
		q.dirty[k.Kind] = m
	}
	m[k] = true
	q.nDirty++
}

func (q *queue) len() int { return q.nDirty }

// addAfter makes k due at now+d, keeping an earlier due time.
func (q *queue) addAfter(k objects.Key, now time.Time, d time.Duration) {
	at := now.Add(d)
	t, ok := q.later[k]
	if ok && !at.Before(t) {
		return
	}
	if !ok && !q.admit(k) {
		return
	}
	q.later[k] = at
}

// promote moves due items into the dirty set.
func (q *queue) promote(now time.Time) {
	for k, t := range q.later {
		if !t.After(now) {
			delete(q.later, k)
			q.add(k)
		}
	}
}

// next returns when the earliest delayed item is due.
func (q *queue) next() (time.Time, bool) {
	var first time.Time
	for _, t := range q.later {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, !first.IsZero()
}

// take removes and returns the dirty keys of kind.
func (q *queue) take(kind string) []objects.Key {
	m := q.dirty[kind]
	if len(m) == 0 {
		return nil
	}
	out := slices.Collect(maps.Keys(m))
	delete(q.dirty, kind)
	q.nDirty -= len(out)
	return out
}

// onlyDirty reports whether every dirty key is of one of kinds.
func (q *queue) onlyDirty(kinds map[string]bool) bool {
	for kind, m := range q.dirty {
		if len(m) > 0 && !kinds[kind] {
			return false
		}
	}
	return true
}

// dropKinds forgets dirty keys of kinds no step handles, so they cannot
// keep the runner's pass loop going.
func (q *queue) dropKinds(keep func(kind string) bool) {
	for kind, m := range q.dirty {
		if !keep(kind) {
			q.nDirty -= len(m)
			delete(q.dirty, kind)
		}
	}
}

// retry requeues k after a failure: at once the first time (a conflict is
// usually cured by the catch-up that follows every write), then with
// exponential backoff (retryBackoff).
func (q *queue) retry(k objects.Key, now time.Time) {
	if _, failed := q.failures[k]; !failed {
		b := retryBackoff
		q.failures[k] = &b
		q.add(k)
		return
	}
	q.backoff(k, now)
}

// backoff requeues k after its next backoff delay (a step that panicked
// is never retried at once).
func (q *queue) backoff(k objects.Key, now time.Time) {
	b, ok := q.failures[k]
	if !ok {
		c := retryBackoff
		b = &c
		q.failures[k] = b
	}
	q.addAfter(k, now, b.Step())
}

// succeeded resets k's backoff.
func (q *queue) succeeded(k objects.Key) { delete(q.failures, k) }
