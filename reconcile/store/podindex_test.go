package store

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func podOn(name, node string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	p.Spec.Containers = []corev1.Container{{Name: "app", Image: "img"}}
	p.Spec.NodeName = node
	objects.SetTypeMeta(p, "Pod")
	return p
}

// checkPodsOnNodes compares ListPodsOnNode with the list of every pod
// filtered by spec.nodeName, for each node: the same pods (same
// resourceVersions) in the same order, at the same store resourceVersion.
func checkPodsOnNodes(t *testing.T, st *Store, step string, nodes ...string) {
	t.Helper()
	all, rv, err := st.List("Pod", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		var want []string
		for _, o := range all {
			if o.(*corev1.Pod).Spec.NodeName == n {
				want = append(want, o.GetName()+"@"+o.GetResourceVersion())
			}
		}
		got, gotRV, err := st.ListPodsOnNode(n)
		if err != nil {
			t.Fatalf("%s: ListPodsOnNode(%s): %v", step, n, err)
		}
		var names []string
		for _, o := range got {
			names = append(names, o.GetName()+"@"+o.GetResourceVersion())
		}
		if !slices.Equal(names, want) || gotRV != rv {
			t.Errorf("%s: pods on %s: %v at rv %d, want %v at rv %d", step, n, names, gotRV, want, rv)
		}
	}
}

// The index follows every way a pod's node changes: created bound or
// unbound, bound later (BindPod, Update), deleted, deleted and created
// again on another node in one transaction; built from the store on first
// use in the middle of that history, then kept by the commits.
func TestListPodsOnNodeIsTheFilteredList(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		nodes := []string{"n1", "n2", "n3"}
		create(t, st, podOn("a", "n1"), podOn("b", "n2"), podOn("c", ""), podOn("d", ""), configMap("default", "cm", nil))
		checkPodsOnNodes(t, st, "before any list (the index is built now)", nodes...)

		create(t, st, podOn("e", "n1"))
		checkPodsOnNodes(t, st, "a created pod", nodes...)

		c := mustGet(t, st, podOn("c", ""))
		if err := st.Update(func(tx *Tx) error {
			_, err := tx.BindPod(objects.KeyOf(c), c.GetUID(), "n3", func(*corev1.Pod) []corev1.PodCondition { return nil })
			return err
		}); err != nil {
			t.Fatal(err)
		}
		checkPodsOnNodes(t, st, "a pod bound", nodes...)

		d := mustGet(t, st, podOn("d", "")).(*corev1.Pod)
		d.Spec.NodeName = "n2"
		update(t, st, d, false)
		checkPodsOnNodes(t, st, "a pod's nodeName set by an update", nodes...)

		if err := st.Update(func(tx *Tx) error { return tx.Delete(objects.KeyOf(podOn("a", ""))) }); err != nil {
			t.Fatal(err)
		}
		checkPodsOnNodes(t, st, "a pod deleted", nodes...)

		if err := st.Update(func(tx *Tx) error {
			if err := tx.Delete(objects.KeyOf(podOn("b", ""))); err != nil {
				return err
			}
			return tx.Create(podOn("b", "n3"))
		}); err != nil {
			t.Fatal(err)
		}
		checkPodsOnNodes(t, st, "a pod replaced on another node in one transaction", nodes...)

		if err := st.Update(func(tx *Tx) error {
			if err := tx.Create(podOn("f", "n1")); err != nil {
				return err
			}
			return fmt.Errorf("refused")
		}); err == nil {
			t.Fatal("the failed update succeeded")
		}
		checkPodsOnNodes(t, st, "a failed transaction", nodes...)
	})
}

// A list never misses a pod committed before its resourceVersion nor holds
// one committed after it, while pods are created concurrently: the index
// is published after Badger's commit, and a list between the two would
// otherwise say a resourceVersion whose pods it does not hold (an agent
// watching from it would never see them).
func TestListPodsOnNodeMatchesItsResourceVersionUnderWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		create(t, st, podOn("seed", "a"))
		if _, _, err := st.ListPodsOnNode("a"); err != nil { // built: the writes below go through apply
			t.Fatal(err)
		}
		base := st.ResourceVersion()
		const writes = 200
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				if err := st.Update(func(tx *Tx) error { return tx.Create(podOn(fmt.Sprintf("p%03d", i), "a")) }); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		for done := false; !done; {
			done = st.ResourceVersion() == base+writes
			got, rv, err := st.ListPodsOnNode("a")
			if err != nil {
				t.Fatal(err)
			}
			// Pod p<i> has resourceVersion base+1+i: the list at rv holds
			// the seed and exactly p000 … p<rv-base-1>.
			if want := 1 + int(rv-base); len(got) != want {
				t.Fatalf("the list at resourceVersion %d holds %d pods, want %d", rv, len(got), want)
			}
			for _, o := range got {
				if rvOf(o) > rv {
					t.Fatalf("the list at resourceVersion %d holds %s at %s", rv, o.GetName(), o.GetResourceVersion())
				}
			}
		}
		wg.Wait()
	})
}
