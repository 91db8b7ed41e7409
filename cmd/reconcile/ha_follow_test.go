package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// followed is what one watch of every object, followed across the
// servers' failovers (apiclient.Client.Follow), has seen: events must come
// in resourceVersion order, none twice.
type followed struct {
	mu       sync.Mutex
	last     uint64
	seen     map[string]bool // kind/namespace/name@resourceVersion
	counter  []uint64        // resourceVersions of the counter ConfigMap's events
	problems []string
	err      error // Follow's, when it ended before the test did
}

// followAll follows every event after rv on cli (several servers) until
// the test ends.
func followAll(t *testing.T, cli *apiclient.Client, rv uint64) *followed {
	f := &followed{last: rv, seen: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		err := cli.Follow(ctx, nil, rv, f.add)
		if !errors.Is(err, context.Canceled) {
			f.mu.Lock()
			f.err = err
			f.mu.Unlock()
		}
	}()
	return f
}

func (f *followed) add(ev apiclient.WatchEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := ev.Object
	key := fmt.Sprintf("%s/%s/%s@%d", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), ev.ResourceVersion)
	switch {
	case ev.ResourceVersion < f.last:
		f.problems = append(f.problems, fmt.Sprintf("%s %s after resourceVersion %d", ev.Type, key, f.last))
	case f.seen[key]:
		f.problems = append(f.problems, fmt.Sprintf("%s %s twice", ev.Type, key))
	}
	f.seen[key] = true
	f.last = max(f.last, ev.ResourceVersion)
	if strings.HasPrefix(key, "ConfigMap/e2e/counter@") {
		f.counter = append(f.counter, ev.ResourceVersion)
	}
}

// sawCounter says whether the counter's event at rv came, and why not.
func (f *followed) sawCounter(rv uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return fmt.Errorf("the watch ended: %v", f.err)
	}
	if !slices.Contains(f.counter, rv) {
		return fmt.Errorf("the followed watch has the counter at %v, not yet %d", f.counter, rv)
	}
	return nil
}

// check fails t with every ordering problem seen.
func (f *followed) check(t *testing.T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.problems {
		t.Errorf("followed watch: %s", p)
	}
	t.Logf("followed watch: %d events up to resourceVersion %d, %d of the counter", len(f.seen), f.last, len(f.counter))
}
