package controllers

import (
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestQueueIsBounded(t *testing.T) {
	var full []objects.Key
	q := newQueue(3, func(limit int, first objects.Key) {
		if limit != 3 {
			t.Errorf("limit %d", limit)
		}
		full = append(full, first)
	})
	key := func(n string) objects.Key { return objects.Key{Kind: "Deployment", Namespace: "default", Name: n} }
	for _, n := range []string{"a", "b", "a", "c", "d", "e"} {
		q.add(key(n))
	}
	q.add(keySchedule) // built-in items always fit, and do not end the overflow
	q.add(key("e"))
	if q.len() != 4 {
		t.Errorf("%d keys queued, want 3 objects + the scheduler", q.len())
	}
	if len(full) != 1 || full[0] != key("d") {
		t.Errorf("overflow reported %v, want once, naming the first dropped key", full)
	}
	if q.dropped != 3 {
		t.Errorf("%d dropped, want 3", q.dropped)
	}
	q.take("Deployment")
	q.add(key("f"))
	if q.len() != 2 || q.full {
		t.Errorf("after draining: %d keys, full=%v", q.len(), q.full)
	}
	for _, n := range []string{"g", "h", "i"} {
		q.add(key(n))
	}
	if len(full) != 2 {
		t.Errorf("a second overflow was not reported: %v", full)
	}
	// Delayed keys count too.
	q2 := newQueue(1, nil)
	q2.addAfter(key("a"), t0, time.Second)
	q2.add(key("b"))
	if q2.len() != 0 {
		t.Errorf("a full queue took a new key")
	}
}

func TestQueueRetryBacksOff(t *testing.T) {
	q := newQueue(0, nil)
	k := objects.Key{Kind: "ReplicaSet", Namespace: "default", Name: "web"}
	q.retry(k, t0)
	if got := q.take("ReplicaSet"); len(got) != 1 {
		t.Fatalf("the first retry is not immediate: %v", got)
	}
	var last time.Duration
	for i := range 12 {
		q.retry(k, t0)
		at, ok := q.later[k]
		if !ok {
			t.Fatalf("retry %d not delayed", i+2)
		}
		d := at.Sub(t0)
		delete(q.later, k)
		if d < retryBackoff.Duration || d > retryBackoff.Cap+retryBackoff.Cap/10 {
			t.Errorf("retry %d after %s, outside [%s, %s+10%%]", i+2, d, retryBackoff.Duration, retryBackoff.Cap)
		}
		if d < last && last < retryBackoff.Cap {
			t.Errorf("retry %d after %s, shorter than the one before (%s)", i+2, d, last)
		}
		last = d
	}
	if last < retryBackoff.Cap {
		t.Errorf("backoff never reached its cap: %s", last)
	}
	q.succeeded(k)
	q.retry(k, t0)
	if got := q.take("ReplicaSet"); len(got) != 1 {
		t.Errorf("after a success the next retry is not immediate again")
	}

	// A panic is never retried at once.
	q.backoff(objects.Key{Kind: "Job", Name: "x"}, t0)
	if len(q.take("Job")) != 0 || len(q.later) != 1 {
		t.Errorf("backoff queued the key at once")
	}
}
