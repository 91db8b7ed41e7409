package store

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func byName(objs []objects.Object) map[string]objects.Object {
	m := make(map[string]objects.Object, len(objs))
	for _, o := range objs {
		m[o.GetName()] = o
	}
	return m
}

// ListShared hands out the cached objects themselves: the same pointers
// while an object is unchanged, a new one after a write, and never an
// object a List caller could modify.
func TestListSharedReturnsCachedObjects(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		create(t, st, configMap("default", "a", map[string]string{"k": "1"}), configMap("default", "b", map[string]string{"k": "1"}))
		first, _, err := st.ListShared("ConfigMap", "")
		if err != nil {
			t.Fatal(err)
		}
		copies, _, err := st.List("", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 2 || !equality.Semantic.DeepEqual(first, copies) {
			t.Fatalf("ListShared %v differs from List %v", first, copies)
		}
		// A List caller owns its copies: modifying them changes nothing shared.
		copies[0].SetLabels(map[string]string{"mutated": "yes"})
		second, _, _ := st.ListShared("ConfigMap", "")
		if second[0] != first[0] || second[1] != first[1] {
			t.Error("unchanged objects are not the same shared pointers")
		}
		if len(second[0].GetLabels()) != 0 {
			t.Error("a List caller's change reached the shared object")
		}

		b := mustGet(t, st, configMap("default", "b", nil))
		b.SetLabels(map[string]string{"v": "2"})
		update(t, st, b, false)
		third, _, _ := st.ListShared("ConfigMap", "")
		got := byName(third)
		if got["a"] != first[0] {
			t.Error("the unchanged object was not served from the cache")
		}
		if got["b"] == first[1] || got["b"].GetLabels()["v"] != "2" || got["b"].GetResourceVersion() != b.GetResourceVersion() {
			t.Errorf("the updated object is stale: %v", got["b"])
		}
		if first[1].GetLabels()["v"] != "" {
			t.Error("an update modified an object handed out before")
		}
	})
}

// Inside a transaction, ListShared sees the transaction's own writes.
func TestTxListSharedSeesOwnWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		create(t, st, configMap("default", "a", nil))
		before, _, _ := st.ListShared("", "")
		err := st.Update(func(tx *Tx) error {
			a := mustGet(t, st, configMap("default", "a", nil))
			a.SetLabels(map[string]string{"v": "2"})
			if err := tx.Update(a); err != nil {
				return err
			}
			if err := tx.Create(configMap("default", "c", nil)); err != nil {
				return err
			}
			l, err := tx.ListShared("ConfigMap", "default")
			if err != nil {
				return err
			}
			got := byName(l)
			if len(l) != 2 || got["a"].GetLabels()["v"] != "2" || got["c"] == nil {
				t.Errorf("tx.ListShared = %v", l)
			}
			if got["a"] == before[0] {
				t.Error("a written object came from the cache")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if before[0].GetLabels()["v"] != "" {
			t.Error("the shared object was modified by an update")
		}
	})
}

// WatchShared delivers the history's objects themselves: the same pointer
// to every WatchShared watcher, and a copy to a Watch watcher.
func TestWatchSharedDeliversOneObject(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rv := st.ResourceVersion()
		a, err := st.WatchShared(ctx, rv)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := st.WatchShared(ctx, rv)
		c, _ := st.Watch(ctx, rv)
		create(t, st, configMap("default", "a", nil))
		ea, eb, ec := <-a, <-b, <-c
		if ea.Object != eb.Object {
			t.Error("two WatchShared watchers got different objects")
		}
		if ec.Object == ea.Object || !equality.Semantic.DeepEqual(ec.Object, ea.Object) {
			t.Error("a Watch watcher did not get its own equal copy")
		}
	})
}

// GetShared is ListShared for one object: the cached object itself while
// it is unchanged (what ListShared hands out too), a new one after a
// write, and Get's copies stay the caller's.
func TestGetSharedReturnsTheCachedObject(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		create(t, st, configMap("default", "a", map[string]string{"k": "1"}))
		key := objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "a"}
		first, err := st.GetShared(key)
		if err != nil {
			t.Fatal(err)
		}
		own, _ := st.Get(key)
		if own == first || !equality.Semantic.DeepEqual(own, first) {
			t.Fatalf("Get returned the shared object or another one: %v vs %v", own, first)
		}
		own.SetLabels(map[string]string{"mutated": "yes"})
		again, _ := st.GetShared(key)
		listed, _, _ := st.ListShared("ConfigMap", "default")
		if again != first || len(listed) != 1 || listed[0] != first {
			t.Error("an unchanged object is not the same shared pointer")
		}
		if len(again.GetLabels()) != 0 {
			t.Error("a Get caller's change reached the shared object")
		}
		own.SetLabels(map[string]string{"v": "2"})
		update(t, st, own, false)
		after, _ := st.GetShared(key)
		if after == first || after.GetLabels()["v"] != "2" {
			t.Errorf("after a write GetShared returned %v (the old object: %v)", after.GetLabels(), after == first)
		}
		if _, err := st.GetShared(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "ghost"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetShared of a missing object: %v, want ErrNotFound", err)
		}
	})
}
