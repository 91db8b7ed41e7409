package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// collect reads n events or fails when the channel closes first.
func collect(t *testing.T, ch <-chan Event, n int) []Event {
	t.Helper()
	var out []Event
	for len(out) < n {
		ev, ok := <-ch
		if !ok {
			t.Fatalf("watch closed after %d of %d events", len(out), n)
		}
		out = append(out, ev)
	}
	return out
}

func TestWatchOrderAndTypes(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch, err := st.Watch(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		cm := configMap("default", "a", map[string]string{"k": "1"})
		create(t, st, cm, configMap("default", "b", nil))
		cm.Data["k"] = "2"
		update(t, st, cm, false)
		update(t, st, cm, false) // no-op: no event
		if err := st.Update(func(tx *Tx) error { return tx.Delete(objects.KeyOf(cm)) }); err != nil {
			t.Fatal(err)
		}
		evs := collect(t, ch, 4)
		var got []string
		for i, ev := range evs {
			if ev.ResourceVersion != uint64(i+1) || rvOf(ev.Object) != ev.ResourceVersion {
				t.Errorf("event %d: rv %d, object rv %s", i, ev.ResourceVersion, ev.Object.GetResourceVersion())
			}
			got = append(got, fmt.Sprintf("%s %s", ev.Type, ev.Object.GetName()))
		}
		if fmt.Sprint(got) != "[ADDED a ADDED b MODIFIED a DELETED a]" {
			t.Errorf("events = %v", got)
		}
		// A late watcher from rv 2 replays from the history.
		late, err := st.Watch(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if evs := collect(t, late, 2); evs[0].ResourceVersion != 3 || evs[1].Type != Deleted {
			t.Errorf("replay from 2: %+v", evs)
		}
		cancel()
		for range ch {
		}
	})
}

func TestWatchObjectsAreCopies(t *testing.T) {
	st := backends[1].open(t)
	ctx := context.Background()
	a, _ := st.Watch(ctx, 0)
	b, _ := st.Watch(ctx, 0)
	create(t, st, configMap("default", "a", map[string]string{"k": "v"}))
	ea, eb := <-a, <-b
	ea.Object.SetName("mutated")
	if eb.Object.GetName() != "a" {
		t.Error("watchers share objects")
	}
}

func TestWatchGone(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			st.h.max = 3
			for i := 0; i < 5; i++ {
				create(t, st, configMap("default", fmt.Sprint(i), nil))
			}
			if _, err := st.Watch(context.Background(), 1); !errors.Is(err, ErrGone) {
				t.Errorf("watch from 1 with history of 3 after 5 writes: %v, want ErrGone", err)
			}
			ch, err := st.Watch(context.Background(), 2)
			if err != nil {
				t.Fatalf("watch from 2: %v", err)
			}
			if evs := collect(t, ch, 3); evs[0].ResourceVersion != 3 {
				t.Errorf("first event %d", evs[0].ResourceVersion)
			}
		})
	}
}

func TestSlowWatcherIsClosedNotBlocking(t *testing.T) {
	st := backends[1].open(t)
	st.h.max = 10
	ch, err := st.Watch(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads ch: writers must still finish.
	for i := 0; i < watchBuffer+50; i++ {
		create(t, st, configMap("default", fmt.Sprint(i), nil))
	}
	n := 0
	for range ch {
		n++
	}
	if n >= watchBuffer+50 {
		t.Errorf("slow watcher got all %d events; want it closed after falling behind", n)
	}
}

func TestWatchClosedOnCancelAndClose(t *testing.T) {
	st := backends[1].open(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch, _ := st.Watch(ctx, 0)
	cancel()
	if _, ok := <-ch; ok {
		t.Error("event after cancel on an idle store")
	}
	ch2, _ := st.Watch(context.Background(), 0)
	st.Close()
	if _, ok := <-ch2; ok {
		t.Error("event after close")
	}
}

func TestParallelWriters(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		const writers, each = 8, 25
		ch, _ := st.Watch(context.Background(), 0)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					cm := configMap("default", fmt.Sprintf("w%d-%d", w, i), nil)
					if err := st.Update(func(tx *Tx) error { return tx.Create(cm) }); err != nil {
						t.Error(err)
						return
					}
					cm.Data = map[string]string{"n": "1"}
					if err := st.Update(func(tx *Tx) error { return tx.Update(cm) }); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if rv := st.ResourceVersion(); rv != writers*each*2 {
			t.Errorf("rv = %d, want %d", rv, writers*each*2)
		}
		evs := collect(t, ch, writers*each*2)
		for i, ev := range evs {
			if ev.ResourceVersion != uint64(i+1) {
				t.Fatalf("event %d has rv %d: out of order", i, ev.ResourceVersion)
			}
		}
	})
}

func TestReopenKeepsObjectsAndResourceVersion(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	create(t, st, configMap("default", "a", nil), configMap("default", "b", nil))
	if err := st.Update(func(tx *Tx) error { return tx.PutMeta("source/x", "c1") }); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.ResourceVersion() != 2 {
		t.Errorf("rv after reopen = %d, want 2", st.ResourceVersion())
	}
	var c string
	if ok, _ := st.GetMeta("source/x", &c); !ok || c != "c1" {
		t.Errorf("meta after reopen = %q", c)
	}
	if _, err := st.Watch(context.Background(), 1); !errors.Is(err, ErrGone) {
		t.Errorf("watch from before the restart: %v, want ErrGone", err)
	}
	ch, err := st.Watch(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	create(t, st, configMap("default", "c", nil))
	if ev := collect(t, ch, 1)[0]; ev.ResourceVersion != 3 || ev.Object.GetResourceVersion() != "3" {
		t.Errorf("first write after reopen: rv %d", ev.ResourceVersion)
	}
	if _, err := Open(dir); err == nil {
		t.Error("second Open of a directory in use succeeded")
	}
}
