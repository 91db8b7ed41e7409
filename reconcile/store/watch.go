package store

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// watchBuffer is the channel buffer of one watcher; the history behind it
// is what absorbs bursts, so it only smooths hand-over.
const watchBuffer = 256

// history holds the last events, in resourceVersion order, for Watch.
type history struct {
	mu       sync.Mutex
	max      int
	maxBytes int64 // bound on the sum of the events' sizes
	bytes    int64
	events   []Event
	// dead counts the events, and deadBytes their sizes, that were
	// dropped from the front of events by reslicing: the array behind
	// events still holds them until the next copy.
	dead, deadBytes int64
	floor           uint64        // every event with rv > floor is in events
	wake            chan struct{} // closed and replaced on every publish
	closed          bool
	gen             uint64 // bumped by reset (etcd_apply.go): every watcher ends
}

func newHistory(max int, maxBytes int64, rv uint64) *history {
	return &history{max: max, maxBytes: maxBytes, floor: rv, wake: make(chan struct{})}
}

func (h *history) publish(evs []Event) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.events)
	h.events = append(h.events, evs...)
	for _, ev := range evs {
		h.bytes += ev.size
	}
	// Drop the oldest events beyond the count and, so that large objects
	// leave memory soon after they are deleted (ten 10 MB ConfigMaps must
	// not stay because 10,000 events may), up to the last event of every
	// large object this publish deletes or replaces, and beyond the byte
	// bound; the newest event always stays. A watcher behind the new floor
	// lists again, as after any history loss.
	drop := max(len(h.events)-h.max, 0)
	for _, ev := range evs {
		if ev.supersedesLarge {
			drop = max(drop, lastEventOf(h.events[:n], objects.KeyOf(ev.Object))+1)
		}
	}
	b := h.bytes
	for _, ev := range h.events[:drop] {
		b -= ev.size
	}
	for drop < len(h.events)-1 && b > h.maxBytes {
		b -= h.events[drop].size
		drop++
	}
	if drop > 0 {
		large := false
		for _, ev := range h.events[:drop] {
			large = large || ev.size > largeObject
		}
		h.dead += int64(drop)
		h.deadBytes += h.bytes - b
		h.bytes = b
		h.floor = h.events[drop-1].ResourceVersion
		// Copy so that the dropped events can be collected when a large
		// one goes, or when the dropped ones reach a quarter of the
		// bounds; otherwise reslice. A full history drops one event per
		// publish: copying it every time cost a copy of 10,000 events
		// per commit (0.7 MB of garbage each).
		if large || h.dead > int64(h.max/4) || h.deadBytes > h.maxBytes/4 {
			h.events = append(make([]Event, 0, h.max+h.max/4), h.events[drop:]...)
			h.dead, h.deadBytes = 0, 0
		} else {
			h.events = h.events[drop:]
		}
	}
	close(h.wake)
	h.wake = make(chan struct{})
}

func (h *history) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.wake)
	}
}

// since returns the events after rv, a channel closed at the next publish,
// and false when rv is older than the history (the watcher must re-list)
// or the store is closed.
func (h *history) since(rv, gen uint64) ([]Event, <-chan struct{}, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || rv < h.floor || gen != h.gen {
		return nil, nil, false
	}
	i := sort.Search(len(h.events), func(i int) bool { return h.events[i].ResourceVersion > rv })
	return h.events[i:len(h.events):len(h.events)], h.wake, true
}

// Watch delivers every change with resourceVersion > fromRV, in order, on
// the returned channel, starting with those already in the history.
// ErrGone when fromRV is older than the retained history: list again and
// watch from the list's resourceVersion. The channel is closed when ctx is
// done, when the store closes, and when this watcher fell so far behind
// that the history no longer holds its next event (list again).
func (s *Store) Watch(ctx context.Context, fromRV uint64) (<-chan Event, error) {
	return s.watch(ctx, fromRV, true)
}

// WatchShared is Watch without the copies: each event's object is the
// history's own, shared with every other WatchShared watcher, and nobody
// may modify it. For readers that only look (the API's watch fan-out, the
// drift watch, the web UI's change stream) it saves a deep copy of every
// object written per reader: at a burst of pods, hundreds of MB a second
// of garbage, which the GC's pace turns into room (gcpace.go).
func (s *Store) WatchShared(ctx context.Context, fromRV uint64) (<-chan Event, error) {
	return s.watch(ctx, fromRV, false)
}

func (s *Store) watch(ctx context.Context, fromRV uint64, copied bool) (<-chan Event, error) {
	gen := s.h.generation()
	if _, _, ok := s.h.since(fromRV, gen); !ok {
		return nil, fmt.Errorf("watch from resourceVersion %d (history starts after %d): %w", fromRV, s.h.floorRV(), ErrGone)
	}
	out := make(chan Event, watchBuffer)
	go func() {
		defer close(out)
		cursor := fromRV
		for {
			evs, wake, ok := s.h.since(cursor, gen)
			if !ok {
				return
			}
			for _, ev := range evs {
				if copied {
					ev.Object = objects.Copy(ev.Object) // each watcher owns its objects
				}
				select {
				case out <- ev:
					cursor = ev.ResourceVersion
				case <-ctx.Done():
					return
				}
			}
			if len(evs) > 0 {
				continue
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (h *history) generation() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen
}

func (h *history) floorRV() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.floor
}

// lastEventOf is the index of the last event of key in evs, -1 if none.
func lastEventOf(evs []Event, key objects.Key) int {
	for i := len(evs) - 1; i >= 0; i-- {
		if objects.KeyOf(evs[i].Object) == key {
			return i
		}
	}
	return -1
}
