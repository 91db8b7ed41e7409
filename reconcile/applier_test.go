package reconcile

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// An Applier reuses the same desired pointers from commit to commit, as the
// schema cache hands them out. Whatever happens to the store in between,
// each apply must do exactly what a memory-less plan of the same state
// plans.
func TestApplierMatchesStatelessPlans(t *testing.T) {
	st := openStore(t)
	a := NewApplier(st)
	opts := ApplyOptions{Prune: true}
	d := manyDesired(20)
	key := func(i int) objects.Key { return keyOf(d[i].Object) }
	edit := func(i int, status bool, fn func(*appsv1.Deployment)) {
		t.Helper()
		o, err := st.Get(key(i))
		if err != nil {
			t.Fatal(err)
		}
		fn(o.(*appsv1.Deployment))
		if err := st.Update(func(tx *store.Tx) error {
			if status {
				return tx.UpdateStatus(o)
			}
			return tx.Update(o)
		}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name                    string
		before                  func()
		created, updated, prune int
	}{
		{"first commit", func() {}, 20, 0, 0},
		{"same commit again", func() {}, 0, 0, 0},
		{"spec edited through the API is put back", func() {
			edit(3, false, func(o *appsv1.Deployment) { *o.Spec.Replicas = 9 })
		}, 0, 1, 0},
		{"label edited through the API is put back", func() {
			edit(4, false, func(o *appsv1.Deployment) { o.Labels["app"] = "x" })
		}, 0, 1, 0},
		{"status written by a controller changes nothing", func() {
			edit(5, true, func(o *appsv1.Deployment) { o.Status.Replicas = 2 })
		}, 0, 0, 0},
		{"one file changed", func() {
			o := objects.Copy(d[6].Object)
			*o.(*appsv1.Deployment).Spec.Replicas = 5
			d[6].Object = o
		}, 0, 1, 0},
		{"deleted through the API is created again", func() {
			if err := st.Update(func(tx *store.Tx) error { return tx.Delete(key(7)) }); err != nil {
				t.Fatal(err)
			}
		}, 1, 0, 0},
		{"files removed are pruned", func() { d = d[:15] }, 0, 0, 5},
	}
	for i, s := range steps {
		s.before()
		stored, _, err := st.List("", "")
		if err != nil {
			t.Fatal(err)
		}
		want := PlanChanges(d, stored, PlanOptions{Source: src.Name, Prune: true})
		res, err := a.Apply(src, commit(string(rune('A'+i))), d, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		c, u, del := want.Counts()
		if c != s.created || u != s.updated || del != s.prune {
			t.Fatalf("%s: the stateless plan itself is %d/%d/%d, the test expects %d/%d/%d", s.name, c, u, del, s.created, s.updated, s.prune)
		}
		if res.Created != c || res.Updated != u || res.Deleted != del || res.Unchanged != want.Unchanged {
			t.Errorf("%s: applier did %+v, a stateless plan says created %d updated %d deleted %d unchanged %d",
				s.name, res, c, u, del, want.Unchanged)
		}
	}
	// What the store now holds is what git says: a stateless plan is empty.
	stored, _, _ := st.List("", "")
	if p := PlanChanges(d, stored, PlanOptions{Source: src.Name, Prune: true}); len(p.Changes) != 0 || p.Unchanged != 15 {
		t.Errorf("store differs from git at the end: %s", summarise(p))
	}
	// Verdicts exist for every desired object (read or written), none for
	// the pruned ones.
	if n := len(a.planner.memos[src.Name].entries); n != 15 {
		t.Errorf("memo holds %d verdicts, want 15", n)
	}
}

// The plan Apply returns holds copies, not the store's shared objects.
func TestApplyResultOwnsItsObjects(t *testing.T) {
	st := openStore(t)
	a := NewApplier(st)
	a.Apply(src, commit("A"), want(cm("a", map[string]string{"k": "1"}), cm("b", nil)), nil, ApplyOptions{Prune: true})
	st.ListShared("", "") // the cache now holds shared objects
	res, err := a.Apply(src, commit("B"), want(cm("a", map[string]string{"k": "2"})), nil, ApplyOptions{Prune: true})
	if err != nil || len(res.Plan.Changes) != 2 {
		t.Fatalf("%v %s", err, summarise(res.Plan))
	}
	for _, c := range res.Plan.Changes {
		c.Old.SetLabels(map[string]string{"scribbled": "yes"})
	}
	shared, _, _ := st.ListShared("", "")
	for _, o := range shared {
		if o.GetLabels()["scribbled"] != "" {
			t.Errorf("%s: a change to the returned plan reached the store's cache", keyOf(o))
		}
	}
	if got := res.Plan.Changes[0].Object; got.GetResourceVersion() == "" || got.GetUID() == "" {
		t.Errorf("the written object does not show what was stored: %v", got)
	}
}
