package controllers

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// flakySource is the real store whose watch first fails with ErrGone
// (history too old) gone times, and whose next watches close after
// closeAfter events (the watcher fell behind) closes times.
type flakySource struct {
	*store.Store
	mu                  sync.Mutex
	gone, closes, lists int
	closeAfter          int
}

func (f *flakySource) List(kind, ns string) ([]objects.Object, uint64, error) {
	f.mu.Lock()
	f.lists++
	f.mu.Unlock()
	return f.Store.List(kind, ns)
}

func (f *flakySource) Watch(ctx context.Context, fromRV uint64) (<-chan store.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone > 0 {
		f.gone--
		return nil, fmt.Errorf("watch from %d: %w", fromRV, store.ErrGone)
	}
	in, err := f.Store.Watch(ctx, fromRV)
	if err != nil || f.closes == 0 {
		return in, err
	}
	f.closes--
	out := make(chan store.Event)
	go func() {
		defer close(out)
		for i := 0; i < f.closeAfter; i++ {
			select {
			case ev, ok := <-in:
				if !ok {
					return
				}
				out <- ev
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *flakySource) listCount() int { f.mu.Lock(); defer f.mu.Unlock(); return f.lists }

func TestInformerRelistsAfterErrGone(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write(t, st, func(tx *store.Tx) error { return tx.Create(configMap("a")) })
	src := &flakySource{Store: st, gone: 2}
	var observed []string
	in := &informer{src: src, kinds: []string{"ConfigMap"}, observe: func(_ store.Event, _, cur objects.Object) {
		observed = append(observed, objects.KeyOf(cur).String())
	}}
	lists, err := in.sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if lists != 3 {
		t.Errorf("synced after %d lists, want 3 (two ErrGone, then a watch)", lists)
	}
	if in.cache.get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "a"}) == nil {
		t.Errorf("the listed ConfigMap is not cached")
	}
	write(t, st, func(tx *store.Tx) error { return tx.Create(configMap("b")) })
	if err := in.catchUp(t.Context(), st.ResourceVersion()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(observed) != "[ConfigMap/default/b]" {
		t.Errorf("observed %v after the watch, want the new ConfigMap only", observed)
	}

	// A watch that keeps being too old is an error, not an endless loop.
	src.gone = 100
	if _, err := in.sync(t.Context()); err == nil {
		t.Errorf("sync succeeded although every watch was too old")
	}
}

func TestInformerClosedWatchAsksForRelist(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := &flakySource{Store: st, closes: 1, closeAfter: 0}
	in := &informer{src: src, kinds: []string{"ConfigMap"}, observe: func(store.Event, objects.Object, objects.Object) {}}
	if _, err := in.sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	write(t, st, func(tx *store.Tx) error { return tx.Create(configMap("a")) })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := in.catchUp(ctx, st.ResourceVersion()); err != errRelist {
		t.Fatalf("catchUp on a closed watch: %v, want errRelist", err)
	}
	if _, err := in.sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if in.cache.get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "a"}) == nil {
		t.Errorf("the relist missed the object written while the watch was closed")
	}
}

// TestManagerRelistsAndKeepsReconciling runs the Manager on a store whose
// first watch is too old and whose next watches close after a few events:
// the Deployment still gets its pods bound, after several relists.
func TestManagerRelistsAndKeepsReconciling(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := &flakySource{Store: st, gone: 1, closes: 3, closeAfter: 2}
	m := NewManager(st, Options{Log: discard})
	m.src = src
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	registerNode(t, st, "n1", "4", time.Now(), true)
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("web", 2, "img")) })
	waitFor(t, st, "2 pods bound despite closed watches", boundPods(2, "n1", "img"))
	kinds := len(watchedKinds(Registry()))
	if n := src.listCount(); n < 3*kinds {
		t.Errorf("%d lists of %d kinds: the watch was never restarted", n, kinds)
	}
}
