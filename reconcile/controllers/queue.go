package controllers

import (
	"time"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Work items that are not objects.
var (
	keySchedule = objects.Key{Kind: "#schedule"}
	keyGC       = objects.Key{Kind: "#gc"}
)

// queue is the manager's set of dirty work items plus items due later. It
// is level-based: an item is a key, not an event, so many events on one
// object become one step.
type queue struct {
	dirty    map[objects.Key]bool
	later    map[objects.Key]time.Time
	failures map[objects.Key]int
}

func newQueue() *queue {
	return &queue{dirty: map[objects.Key]bool{}, later: map[objects.Key]time.Time{}, failures: map[objects.Key]int{}}
}

func (q *queue) add(k objects.Key) { q.dirty[k] = true }

// addAfter makes k due at now+d, keeping an earlier due time.
func (q *queue) addAfter(k objects.Key, now time.Time, d time.Duration) {
	at := now.Add(d)
	if t, ok := q.later[k]; !ok || at.Before(t) {
		q.later[k] = at
	}
}

// promote moves due items into the dirty set.
func (q *queue) promote(now time.Time) {
	for k, t := range q.later {
		if !t.After(now) {
			q.dirty[k] = true
			delete(q.later, k)
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
	var out []objects.Key
	for k := range q.dirty {
		if k.Kind == kind {
			out = append(out, k)
			delete(q.dirty, k)
		}
	}
	return out
}

func (q *queue) takeOne(k objects.Key) bool {
	if q.dirty[k] {
		delete(q.dirty, k)
		return true
	}
	return false
}

// retry requeues k after a failure: at once the first time (a conflict is
// usually cured by the catch-up that follows every write), then with
// exponential backoff from 50 ms to 10 s so a persistent error does not
// spin.
func (q *queue) retry(k objects.Key, now time.Time) {
	n := q.failures[k]
	q.failures[k] = n + 1
	if n == 0 {
		q.add(k)
		return
	}
	d := 50 * time.Millisecond << min(n-1, 8)
	q.addAfter(k, now, min(d, 10*time.Second))
}

func (q *queue) succeeded(k objects.Key) { delete(q.failures, k) }
