package store

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The watch history forgets large objects early: it is bounded by bytes as
// well as by count, and always keeps the newest event.
func TestHistoryIsBoundedByBytes(t *testing.T) {
	h := newHistory(100, 10<<20, 0)
	for rv := uint64(1); rv <= 5; rv++ {
		h.publish([]Event{{Type: Added, ResourceVersion: rv, size: 4 << 20}})
	}
	if len(h.events) != 2 || h.bytes != 8<<20 {
		t.Fatalf("history holds %d events, %d bytes; want the newest 2 (8 MiB)", len(h.events), h.bytes)
	}
	if _, _, ok := h.since(2, 0); ok {
		t.Error("a watch from before the dropped events must be told to re-list")
	}
	if evs, _, ok := h.since(3, 0); !ok || len(evs) != 2 {
		t.Errorf("since(3) = %d events, %v", len(evs), ok)
	}
	h.publish([]Event{{Type: Added, ResourceVersion: 6, size: 50 << 20}})
	if len(h.events) != 1 || h.events[0].ResourceVersion != 6 {
		t.Fatalf("an event over the bound alone must stay as the newest: %d events", len(h.events))
	}
	for rv := uint64(7); rv <= 300; rv++ {
		h.publish([]Event{{Type: Added, ResourceVersion: rv, size: 10}})
	}
	if len(h.events) != 100 {
		t.Fatalf("count bound: %d events, want 100", len(h.events))
	}
	if h.bytes != 1000 {
		t.Fatalf("bytes %d after dropping the large one, want 1000", h.bytes)
	}
}

// A deleted large object leaves the history at once: its Deleted event
// carries only its metadata, and its earlier events are dropped.
func TestDeletedLargeObjectsLeaveTheHistory(t *testing.T) {
	st, err := OpenWith(t.TempDir(), Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	small := bigConfigMap(0, 10)
	small.Name = "small"
	if err := st.Update(func(tx *Tx) error { return tx.Create(small) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx *Tx) error { return tx.Create(bigConfigMap(0, 2<<20)) }); err != nil {
		t.Fatal(err)
	}
	key := objects.KeyOf(bigConfigMap(0, 0))
	if err := st.Update(func(tx *Tx) error { return tx.Delete(key) }); err != nil {
		t.Fatal(err)
	}
	st.h.mu.Lock()
	evs, bytes := append([]Event(nil), st.h.events...), st.h.bytes
	st.h.mu.Unlock()
	if len(evs) != 1 || evs[0].Type != Deleted || bytes > 4096 {
		t.Fatalf("history: %d events, %d bytes; want only the Deleted event, small", len(evs), bytes)
	}
	if cm := evs[0].Object.(*corev1.ConfigMap); cm.Name != "big" || len(cm.Data) != 0 || cm.UID == "" {
		t.Fatalf("the Deleted event must carry the metadata only: %+v", cm)
	}
}
