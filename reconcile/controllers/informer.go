package controllers

import (
	"context"
	"errors"
	"fmt"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// source is what the informer reads: the store's list and watch.
type source interface {
	List(kind, namespace string) ([]objects.Object, uint64, error)
	Watch(ctx context.Context, fromRV uint64) (<-chan store.Event, error)
}

// errRelist means the watch ended (fell behind or history too old): list
// again.
var errRelist = errors.New("watch ended; listing again")

// informer is the runner's one list + watch: it lists the watched kinds
// into a fresh cache, watches the store from the oldest list's
// resourceVersion, and hands each event that changed the cache to observe
// (which marks the work it implies). When the watch cannot start because
// the history is too old (store.ErrGone) it lists again at once; when the
// watch channel closes (the watcher fell behind), next/drain/catchUp
// return errRelist and the runner calls sync again.
type informer struct {
	src     source
	kinds   []string
	cache   *cache
	events  <-chan store.Event
	observe func(ev store.Event, old, cur objects.Object)
}

// maxGoneRelists bounds how often sync lists again because the watch's
// start was already too old (each list takes a newer resourceVersion, so
// one more is nearly always enough).
const maxGoneRelists = 5

// sync lists every kind into a new cache and starts the watch (ctx ends
// it). It returns the number of lists it needed.
func (in *informer) sync(ctx context.Context) (lists int, err error) {
	for lists = 1; ; lists++ {
		err = in.list(ctx)
		if err == nil || !errors.Is(err, store.ErrGone) || lists >= maxGoneRelists {
			return lists, err
		}
	}
}

func (in *informer) list(ctx context.Context) error {
	c := newCache()
	fromRV := uint64(0)
	for i, kind := range in.kinds {
		objs, rv, err := in.src.List(kind, "")
		if err != nil {
			return fmt.Errorf("list %s: %w", kind, err)
		}
		if i == 0 || rv < fromRV {
			fromRV = rv
		}
		for _, o := range objs {
			c.put(o)
		}
	}
	c.rv = fromRV
	events, err := in.src.Watch(ctx, fromRV)
	if err != nil {
		return fmt.Errorf("watch from resourceVersion %d: %w", fromRV, err)
	}
	in.cache, in.events = c, events
	return nil
}

// handle applies one event to the cache and observes it if it changed
// anything.
func (in *informer) handle(ev store.Event, ok bool) error {
	if !ok {
		return errRelist
	}
	if old, cur, changed := in.cache.apply(ev); changed {
		in.observe(ev, old, cur)
	}
	return nil
}

// drain applies every event already waiting, so events that arrive
// together are handled by one pass of the steps.
func (in *informer) drain() error {
	for {
		select {
		case ev, ok := <-in.events:
			if err := in.handle(ev, ok); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// catchUp waits until the cache has seen resourceVersion rv, so the next
// step reads the runner's own writes.
func (in *informer) catchUp(ctx context.Context, rv uint64) error {
	for in.cache.rv < rv {
		select {
		case ev, ok := <-in.events:
			if err := in.handle(ev, ok); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
