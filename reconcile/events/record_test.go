package events

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func job(name string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + "name"}}
	objects.SetTypeMeta(p, "Pod")
	return p
}

func listEvents(t *testing.T, st *store.Store, ns string) []*corev1.Event {
	t.Helper()
	objs, _, err := st.List("Event", ns)
	if err != nil {
		t.Fatal(err)
	}
	var out []*corev1.Event
	for _, o := range objs {
		out = append(out, o.(*corev1.Event))
	}
	SortOldestFirst(out)
	return out
}

func record(t *testing.T, st *store.Store, obj objects.Object, typ, reason, msg string, now time.Time) {
	t.Helper()
	if err := st.Update(func(tx *store.Tx) error { return Record(tx, obj, typ, reason, msg, "test", now) }); err != nil {
		t.Fatal(err)
	}
}

func TestRecordDeduplicatesRepeats(t *testing.T) {
	st := openStore(t)
	p := job("web-1")
	record(t, st, p, Warning, "BackOff", "Back-off restarting failed container", t0)
	record(t, st, p, Warning, "BackOff", "Back-off restarting failed container", t0.Add(time.Minute))
	record(t, st, p, Normal, "Pulled", "Container image already present", t0.Add(2*time.Minute))
	evs := listEvents(t, st, "default")
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2 (the repeat bumps the first): %+v", len(evs), evs)
	}
	b := evs[0]
	if b.Reason != "BackOff" || b.Count != 2 || !b.FirstTimestamp.Time.Equal(t0) || !b.LastTimestamp.Time.Equal(t0.Add(time.Minute)) {
		t.Fatalf("repeated event: reason %s count %d first %v last %v", b.Reason, b.Count, b.FirstTimestamp, b.LastTimestamp)
	}
	if b.InvolvedObject.Kind != "Pod" || b.InvolvedObject.Name != "web-1" || b.Source.Component != "test" || b.Type != Warning {
		t.Fatalf("event fields: %+v", b)
	}
	if want := fmt.Sprintf("web-1.%x", t0.UnixNano()); b.Name != want {
		t.Fatalf("name %q, want %q", b.Name, want)
	}
	if got := For(evs, p); len(got) != 2 {
		t.Fatalf("For(pod) = %d events, want 2", len(got))
	}
	if got := For(evs, job("other")); len(got) != 0 {
		t.Fatalf("For(other) = %d events, want 0", len(got))
	}
}

func TestRecordSameInstantGetsDistinctNames(t *testing.T) {
	st := openStore(t)
	p := job("web-1")
	err := st.Update(func(tx *store.Tx) error {
		for i := range 3 {
			if err := Record(tx, p, Normal, "Created", fmt.Sprintf("container %d", i), "test", t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(listEvents(t, st, "default")); n != 3 {
		t.Fatalf("got %d events, want 3", n)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	st := openStore(t)
	// More than MaxPerNamespace distinct events: Prune keeps the newest
	// MaxPerNamespace.
	n := MaxPerNamespace + 101
	err := st.Update(func(tx *store.Tx) error {
		for i := range n {
			if err := Record(tx, job(fmt.Sprintf("p%d", i)), Normal, "Started", "started", "test", t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var removed int
	if err := st.Update(func(tx *store.Tx) (err error) { removed, err = Prune(tx, t0.Add(time.Second)); return err }); err != nil {
		t.Fatal(err)
	}
	evs := listEvents(t, st, "default")
	if removed != n-MaxPerNamespace || len(evs) != MaxPerNamespace {
		t.Fatalf("removed %d, kept %d events, want %d", removed, len(evs), MaxPerNamespace)
	}
	if evs[0].InvolvedObject.Name != fmt.Sprintf("p%d", n-MaxPerNamespace) {
		t.Fatalf("oldest kept is %s: the oldest should have gone first", evs[0].InvolvedObject.Name)
	}
	// A pruned event recorded again starts a new event (its dedup record
	// went with it).
	record(t, st, job("p0"), Normal, "Started", "started", t0.Add(time.Hour))
	if got := For(listEvents(t, st, "default"), job("p0")); len(got) != 1 || got[0].Count != 1 {
		t.Fatalf("re-recorded pruned event: %+v", got)
	}
}

func TestPruneRemovesOldEvents(t *testing.T) {
	st := openStore(t)
	record(t, st, job("old"), Normal, "Started", "started", t0)
	record(t, st, job("new"), Normal, "Started", "started", t0.Add(50*time.Minute))
	var removed int
	err := st.Update(func(tx *store.Tx) (err error) {
		removed, err = Prune(tx, t0.Add(61*time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := listEvents(t, st, "default")
	if removed != 1 || len(evs) != 1 || evs[0].InvolvedObject.Name != "new" {
		t.Fatalf("removed %d, left %+v", removed, evs)
	}
}

func TestStoreFillsAgentEvents(t *testing.T) {
	st := openStore(t)
	ev := &corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-1"}, Reason: "Unhealthy", Message: "Liveness probe failed", Type: Warning}
	if err := st.Update(func(tx *store.Tx) error { return Store(tx, ev, t0) }); err != nil {
		t.Fatal(err)
	}
	again := &corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-1"}, Reason: "Unhealthy", Message: "Liveness probe failed", Type: Warning}
	if err := st.Update(func(tx *store.Tx) error { return Store(tx, again, t0.Add(time.Second)) }); err != nil {
		t.Fatal(err)
	}
	evs := listEvents(t, st, "shop")
	if len(evs) != 1 || evs[0].Count != 2 || evs[0].Namespace != "shop" {
		t.Fatalf("agent events: %+v", evs)
	}
	bad := &corev1.Event{Reason: "X"}
	if err := st.Update(func(tx *store.Tx) error { return Store(tx, bad, t0) }); err == nil {
		t.Fatal("an event without an involved object was accepted")
	}
}
