package apiserver

import (
	"context"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// subscription is one watch's view of the fan-out: the recent events it
// missed, or a replay from the store, then its queue.
type subscription struct {
	f       *fanout
	w       *watcher
	replay  []*sharedEvent
	history <-chan store.Event // replay from the store up to joinRV, when the watch starts before the recent events
	joinRV  uint64
	stop    context.CancelFunc
	live    bool // the last event came from the queue (not a replay)
}

// subscribe starts a watch of sp after fromRV. store.ErrGone when fromRV
// is older than the store's history: the client lists again.
func (f *fanout) subscribe(ctx context.Context, sp watchSpec, fromRV uint64) (*subscription, error) {
	f.mu.Lock()
	if !f.running {
		if err := f.start(); err != nil {
			f.mu.Unlock()
			return nil, err
		}
	}
	s := &subscription{f: f, joinRV: f.rv, stop: func() {}}
	s.w = newWatcher(sp, max(fromRV, f.rv))
	fromStore := fromRV < f.recentFloor
	if !fromStore {
		i := len(f.recent)
		for i > 0 && f.recent[i-1].ResourceVersion > fromRV {
			i--
		}
		s.replay = append([]*sharedEvent(nil), f.recent[i:]...)
	}
	f.add(s.w)
	f.mu.Unlock()
	if fromStore {
		hctx, cancel := context.WithCancel(ctx)
		history, err := f.st.WatchShared(hctx, fromRV)
		if err != nil {
			cancel()
			s.close()
			return nil, err
		}
		s.history, s.stop = history, cancel
	}
	return s, nil
}

// close ends the subscription.
func (s *subscription) close() {
	s.stop()
	s.f.mu.Lock()
	s.f.remove(s.w)
	s.f.mu.Unlock()
}

// next returns the watch's next event; false when the watch ended (ctx
// done, the watcher fell behind, the store closed).
func (s *subscription) next(ctx context.Context) (*sharedEvent, bool) {
	s.live = false
	for {
		if len(s.replay) > 0 {
			ev := s.replay[0]
			s.replay = s.replay[1:]
			if s.f.wants(s.w.spec, ev) {
				return ev, true
			}
			continue
		}
		if s.history != nil {
			select {
			case e, ok := <-s.history:
				if !ok {
					return nil, false // the store's history moved past it: list again
				}
				if e.ResourceVersion > s.joinRV { // the queue has it and what follows
					s.stop()
					s.history = nil
					continue
				}
				if ev := (&sharedEvent{Event: e, kind: objects.KindOf(e.Object)}); s.f.wants(s.w.spec, ev) {
					return ev, true
				}
				continue
			case <-s.w.gone:
				return nil, false
			case <-ctx.Done():
				return nil, false
			}
		}
		if ev := s.w.pop(); ev != nil {
			if ev.ResourceVersion <= s.w.after {
				continue
			}
			s.live = true
			return ev, true
		}
		select {
		case <-s.w.ready:
		case <-s.w.gone:
			if s.w.queued() == 0 {
				return nil, false
			}
		case <-ctx.Done():
			return nil, false
		}
	}
}

// more reports whether an event is ready without waiting (the handler
// flushes once per burst).
func (s *subscription) more() bool {
	return len(s.replay) > 0 || (s.history == nil && s.w.queued() > 0)
}

// observe records ev's delay from its arrival to its write.
func (f *fanout) observe(ev *sharedEvent) {
	if ev.at.IsZero() {
		return
	}
	d := time.Since(ev.at)
	f.delay.Observe(d)
	if f.observer != nil {
		f.observer.ObserveWatchDelivery(d)
	}
}
