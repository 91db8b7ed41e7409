package apiclient

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// KindCache keeps every object of some kinds in memory: it lists them
// once, then follows one watch stream per kind; a stream that ends (the
// server went away, or closed it) is resumed from the last event it gave,
// on another server when there are several, so no event is missed or
// applied twice; only a "too old" answer (410) lists again (with list
// backoff on errors). The version Objects returns
// is the cache's own change counter, for Wait. With reveal, Secrets come
// with their values (the agent's ingress proxy needs the TLS keys; a node
// sees only the Secrets it may read). ServiceCache is one over Services
// and Endpoints.
type KindCache struct {
	c       *Client
	kinds   []string
	reveal  bool
	mu      sync.Mutex
	objs    map[objects.Key]objects.Object
	seq     uint64        // bumped on every change of the cache
	changed chan struct{} // closed and replaced on every change
	synced  chan struct{} // closed after the first list
	lastErr error
}

// NewKindCache starts filling a cache of kinds from the controller; it
// stops when ctx ends.
func NewKindCache(ctx context.Context, c *Client, reveal bool, kinds ...string) *KindCache {
	s := &KindCache{c: c, kinds: kinds, reveal: reveal, changed: make(chan struct{}), synced: make(chan struct{})}
	go s.run(ctx)
	return s
}

func (s *KindCache) query() url.Values {
	if s.reveal {
		return url.Values{"reveal": {"true"}}
	}
	return nil
}

// list lists every kind; the resourceVersion to watch from is the
// smallest of the lists', so no change between two requests is missed.
func (s *KindCache) list(ctx context.Context) ([]objects.Object, uint64, error) {
	var all []objects.Object
	var rv uint64
	for i, kind := range s.kinds {
		items, krv, err := s.c.List(ctx, kind, "", s.query())
		if err != nil {
			return nil, 0, err
		}
		all = append(all, items...)
		if i == 0 || krv < rv {
			rv = krv
		}
	}
	return all, rv, nil
}

func (s *KindCache) run(ctx context.Context) {
	first := true
	backoff := listBackoff
	for ctx.Err() == nil {
		items, rv, err := s.list(ctx)
		if err != nil {
			s.mu.Lock()
			s.lastErr = err
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff.Step()):
			}
			continue
		}
		backoff = listBackoff
		s.mu.Lock()
		s.objs, s.lastErr = make(map[objects.Key]objects.Object, len(items)), nil
		for _, o := range items {
			s.objs[objects.KeyOf(o)] = o
		}
		s.bump()
		s.mu.Unlock()
		if first {
			close(s.synced)
			first = false
		}
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, len(s.kinds))
		for _, kind := range s.kinds {
			go func() { done <- s.follow(wctx, kind, rv) }()
		}
		<-done // a stream was too old (or ctx ended): list again
		cancel()
		for range len(s.kinds) - 1 {
			<-done
		}
	}
}

// follow applies the events of kind after rv until ctx ends or the
// server no longer has them (ErrGone: the caller lists again).
func (s *KindCache) follow(ctx context.Context, kind string, rv uint64) error {
	q := url.Values{"kind": {kind}}
	if s.reveal {
		q.Set("reveal", "true")
	}
	return s.c.Follow(ctx, q, rv, s.apply)
}

func (s *KindCache) apply(ev WatchEvent) {
	if ev.Object == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := objects.KeyOf(ev.Object)
	if ev.Type == "DELETED" {
		delete(s.objs, k)
	} else {
		s.objs[k] = ev.Object
	}
	s.bump()
}

// bump records a change; mu is held.
func (s *KindCache) bump() {
	s.seq++
	close(s.changed)
	s.changed = make(chan struct{})
}

// Objects returns the cached objects (waiting for the first list) and the
// cache's version.
func (s *KindCache) Objects(ctx context.Context) ([]objects.Object, uint64, error) {
	select {
	case <-s.synced:
	case <-ctx.Done():
		s.mu.Lock()
		err := s.lastErr
		s.mu.Unlock()
		if err == nil {
			err = ctx.Err()
		}
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]objects.Object, 0, len(s.objs))
	for _, o := range s.objs {
		out = append(out, o)
	}
	return out, s.seq, nil
}

// Wait returns when the cache changed after the Objects call that
// returned afterRV, or after a bounded wait.
func (s *KindCache) Wait(ctx context.Context, afterRV uint64) error {
	s.mu.Lock()
	if s.seq > afterRV {
		s.mu.Unlock()
		return nil
	}
	ch := s.changed
	s.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-time.After(waitTimeout):
	}
	return nil
}
