package apiserver

import "sync"

// watcher is one watch as the fan-out routes to it: a queue the routing
// fills and the watch's handler empties.
type watcher struct {
	spec  watchSpec
	after uint64 // events up to this resourceVersion are the client's already

	mu    sync.Mutex
	queue []*sharedEvent // routed, not yet written
	ready chan struct{}  // a token when queue may have grown
	gone  chan struct{}  // closed when the fan-out drops the watcher
}

func newWatcher(sp watchSpec, after uint64) *watcher {
	return &watcher{spec: sp, after: after, ready: make(chan struct{}, 1), gone: make(chan struct{})}
}

// push queues ev; false when the queue holds max events already.
func (w *watcher) push(ev *sharedEvent, max int) bool {
	w.mu.Lock()
	if len(w.queue) >= max {
		w.mu.Unlock()
		return false
	}
	w.queue = append(w.queue, ev)
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default:
	}
	return true
}

// pop takes the oldest queued event, nil if none.
func (w *watcher) pop() *sharedEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return nil
	}
	ev := w.queue[0]
	w.queue[0] = nil
	w.queue = w.queue[1:]
	if len(w.queue) == 0 {
		w.queue = nil // let a burst's array go
	}
	return ev
}

func (w *watcher) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// drop ends w's stream once its queued events are written (its client
// lists again); f.mu is held and w is no longer indexed.
func (w *watcher) drop() { close(w.gone) }

type watcherSet map[*watcher]struct{}
