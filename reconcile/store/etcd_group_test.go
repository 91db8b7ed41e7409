package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Updates queued while another is appended are written as one entry, in
// arrival order, each all-or-nothing: one that fails in the middle of a
// batch writes nothing and gets its own error, the others are written
// (two entries: those before it, then those after), and a second view
// serves the same objects, resourceVersions and events.
func TestEtcdGroupCommitWritesQueuedUpdatesAsOneEntry(t *testing.T) {
	prefix := newPrefix(t)
	a, b := openEtcdView(t, "", prefix), openEtcdView(t, "", prefix)
	create(t, a, configMap("default", "counter", map[string]string{"n": "0"}))
	caughtUp(t, a, b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wb, err := b.Watch(ctx, b.ResourceVersion())
	if err != nil {
		t.Fatal(err)
	}
	increment := func(tx *Tx) error {
		o, err := tx.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "counter"})
		if err != nil {
			return err
		}
		c := o.(*corev1.ConfigMap)
		var n int
		fmt.Sscan(c.Data["n"], &n)
		c.Data["n"] = fmt.Sprint(n + 1)
		return tx.Update(c)
	}
	errRefused := errors.New("refused by fn")
	const updates, failing = 9, 4 // update number 4 creates an object, then fails
	fns := make([]func(*Tx) error, updates)
	for i := range fns {
		fns[i] = increment
	}
	fns[failing] = func(tx *Tx) error {
		if err := increment(tx); err != nil {
			return err
		}
		if err := tx.Create(configMap("default", "half-written", nil)); err != nil {
			return err
		}
		return errRefused
	}

	// Hold the view's lock while the Updates queue up in a known order,
	// so the first to take it finds all of them queued.
	a.mu.Lock()
	seq0 := a.etcd.seq
	results := make([]error, updates)
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = a.Update(fn) }()
		testkit.Eventually(t, time.Minute, "update queued", func() error {
			a.etcd.qmu.Lock()
			defer a.etcd.qmu.Unlock()
			if len(a.etcd.queue) != i+1 {
				return fmt.Errorf("%d queued, want %d", len(a.etcd.queue), i+1)
			}
			return nil
		})
	}
	a.mu.Unlock()
	wg.Wait()

	for i, err := range results {
		if want := error(nil); i == failing {
			if !errors.Is(err, errRefused) {
				t.Errorf("update %d (fails) returned %v, want its own error", i, err)
			}
		} else if err != want {
			t.Errorf("update %d returned %v", i, err)
		}
	}
	a.mu.Lock()
	entries := a.etcd.seq - seq0
	a.mu.Unlock()
	if entries != 2 {
		t.Errorf("%d Updates (one failing in the middle) made %d log entries, want 2: the ones before it, the ones after", updates, entries)
	}
	caughtUp(t, a, b)
	if got := mustGet(t, b, configMap("default", "counter", nil)).(*corev1.ConfigMap).Data["n"]; got != fmt.Sprint(updates-1) {
		t.Errorf("counter = %s, want %d (no update lost, the failing one written nowhere)", got, updates-1)
	}
	if _, err := b.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "half-written"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("the failing update's object: %v, want not found", err)
	}
	if da, db := dump(t, a), dump(t, b); da != db {
		t.Errorf("the views differ:\n%s\n%s", da, db)
	}
	last := uint64(0)
	for range updates - 1 {
		ev := <-wb
		if ev.ResourceVersion <= last {
			t.Errorf("event %s after resourceVersion %d", eventLine(ev), last)
		}
		last = ev.ResourceVersion
	}
	if last != b.ResourceVersion() {
		t.Errorf("the last event has resourceVersion %d, the view %d", last, b.ResourceVersion())
	}
}

// An Update written by a batch returns once that batch is appended, not
// after the next one: the next writer holds the view's lock through its
// whole append (a consensus round), and a decided Update does not wait for
// that lock to learn it was written.
func TestEtcdGroupCommitDecidedUpdateReturnsDuringTheNextAppend(t *testing.T) {
	prefix := newPrefix(t)
	var a *Store
	var appends atomic.Int32
	hold, holding := make(chan struct{}), make(chan struct{})
	late := make(chan error, 1)
	eo := EtcdOptions{failpoint: func(point string) error {
		if point != "commit" {
			return nil
		}
		switch appends.Add(1) {
		case 1: // the first batch: queue another Update behind it
			go func() { late <- a.Update(func(tx *Tx) error { return tx.Create(configMap("default", "late", nil)) }) }()
			testkit.Eventually(t, time.Minute, "the late update queued", func() error {
				a.etcd.qmu.Lock()
				defer a.etcd.qmu.Unlock()
				if len(a.etcd.queue) != 3 {
					return fmt.Errorf("%d queued, want 3", len(a.etcd.queue))
				}
				return nil
			})
		case 2: // the late Update's batch: held in its append
			close(holding)
			<-hold
		}
		return nil
	}}
	a = openEtcdView(t, "", prefix, eo)

	a.mu.Lock() // both queue before either writes: one batch
	first := make(chan error, 2)
	for i := range 2 {
		go func() {
			first <- a.Update(func(tx *Tx) error { return tx.Create(configMap("default", fmt.Sprint("first-", i), nil)) })
		}()
		testkit.Eventually(t, time.Minute, "update queued", func() error {
			a.etcd.qmu.Lock()
			defer a.etcd.qmu.Unlock()
			if len(a.etcd.queue) != i+1 {
				return fmt.Errorf("%d queued, want %d", len(a.etcd.queue), i+1)
			}
			return nil
		})
	}
	a.mu.Unlock()
	<-holding
	for range 2 {
		select {
		case err := <-first:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			close(hold)
			t.Fatal("an Update of the first batch did not return while the next batch was being appended")
		}
	}
	close(hold)
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"first-0", "first-1", "late"} {
		mustGet(t, a, configMap("default", name, nil))
	}
	if appends.Load() != 2 {
		t.Errorf("%d appends, want 2 (the two first Updates in one entry, the late one in the next)", appends.Load())
	}
}
