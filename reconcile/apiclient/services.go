package apiclient

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Services is the agent's source of Services and Endpoints over HTTP, for
// the proxy and the DNS server.
type Services struct{ *Client }

// List returns every Service and Endpoints of the cluster and the
// resourceVersion to wait from (the smaller of the two lists', so no change
// between the two requests is missed).
func (c Services) List(ctx context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error) {
	svcItems, rv1, err := c.Client.List(ctx, "Service", "", nil)
	if err != nil {
		return nil, nil, 0, err
	}
	epItems, rv2, err := c.Client.List(ctx, "Endpoints", "", nil)
	if err != nil {
		return nil, nil, 0, err
	}
	svcs := make([]*corev1.Service, 0, len(svcItems))
	for _, o := range svcItems {
		svcs = append(svcs, o.(*corev1.Service))
	}
	eps := make([]*corev1.Endpoints, 0, len(epItems))
	for _, o := range epItems {
		eps = append(eps, o.(*corev1.Endpoints))
	}
	return svcs, eps, min(rv1, rv2), nil
}

// Wait returns at the first Service or Endpoints change after afterRV, or
// after a bounded wait. It watches both kinds at once (the server filters a
// watch by one kind) and returns when either sees an event.
func (c Services) Wait(ctx context.Context, afterRV uint64) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	errs := make(chan error, 2)
	for _, kind := range []string{"Service", "Endpoints"} {
		go func() {
			errs <- c.Watch(ctx, afterRV, kind, "", func(WatchEvent) bool { return false })
		}()
	}
	err := <-errs
	cancel() // the other watch ends too; its result is not needed
	if err == nil || errors.Is(err, ErrGone) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// ServiceCache is a Source for the proxy's steady state: it lists
// Services and Endpoints once, then follows two watch streams and keeps
// them in memory, so a sync after one change costs no list of 10,000
// objects over HTTP. It re-lists when a stream ends. The resourceVersion
// List returns is the cache's own change counter, for Wait.
type ServiceCache struct {
	c       *Client
	mu      sync.Mutex
	svcs    map[objects.Key]*corev1.Service
	eps     map[objects.Key]*corev1.Endpoints
	seq     uint64        // bumped on every change of the cache
	changed chan struct{} // closed and replaced on every change
	synced  chan struct{} // closed after the first list
	lastErr error
}

// NewServiceCache starts filling a cache from the controller; it stops
// when ctx ends.
func NewServiceCache(ctx context.Context, c *Client) *ServiceCache {
	s := &ServiceCache{c: c, changed: make(chan struct{}), synced: make(chan struct{})}
	go s.run(ctx)
	return s
}

// listBackoff spaces the cache's retries of a failed list: 1 s, doubling
// up to 30 s, with jitter so a cluster's agents do not retry in step; a
// successful list starts it over.
var listBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: math.MaxInt32, Cap: 30 * time.Second}

func (s *ServiceCache) run(ctx context.Context) {
	first := true
	backoff := listBackoff
	for ctx.Err() == nil {
		svcs, eps, rv, err := (Services{s.c}).List(ctx)
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
		s.svcs, s.eps, s.lastErr = map[objects.Key]*corev1.Service{}, map[objects.Key]*corev1.Endpoints{}, nil
		for _, o := range svcs {
			s.svcs[objects.KeyOf(o)] = o
		}
		for _, o := range eps {
			s.eps[objects.KeyOf(o)] = o
		}
		s.bump()
		s.mu.Unlock()
		if first {
			close(s.synced)
			first = false
		}
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 2)
		for _, kind := range []string{"Service", "Endpoints"} {
			go func() {
				done <- s.c.Watch(wctx, rv, kind, "", func(ev WatchEvent) bool {
					s.apply(ev)
					return true
				})
			}()
		}
		<-done // either stream ended: list again
		cancel()
		<-done
	}
}

func (s *ServiceCache) apply(ev WatchEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := objects.KeyOf(ev.Object)
	switch o := ev.Object.(type) {
	case *corev1.Service:
		if ev.Type == "DELETED" {
			delete(s.svcs, k)
		} else {
			s.svcs[k] = o
		}
	case *corev1.Endpoints:
		if ev.Type == "DELETED" {
			delete(s.eps, k)
		} else {
			s.eps[k] = o
		}
	default:
		return
	}
	s.bump()
}

// bump records a change; mu is held.
func (s *ServiceCache) bump() {
	s.seq++
	close(s.changed)
	s.changed = make(chan struct{})
}

// List returns the cached objects (waiting for the first list).
func (s *ServiceCache) List(ctx context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error) {
	select {
	case <-s.synced:
	case <-ctx.Done():
		s.mu.Lock()
		err := s.lastErr
		s.mu.Unlock()
		if err == nil {
			err = ctx.Err()
		}
		return nil, nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svcs := make([]*corev1.Service, 0, len(s.svcs))
	for _, o := range s.svcs {
		svcs = append(svcs, o)
	}
	eps := make([]*corev1.Endpoints, 0, len(s.eps))
	for _, o := range s.eps {
		eps = append(eps, o)
	}
	return svcs, eps, s.seq, nil
}

// Wait returns when the cache changed after the List that returned
// afterRV, or after a bounded wait.
func (s *ServiceCache) Wait(ctx context.Context, afterRV uint64) error {
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
