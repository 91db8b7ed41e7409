package reconcile

import (
	"fmt"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func copies(objs []objects.Object) []objects.Object {
	if objs == nil {
		return nil
	}
	out := make([]objects.Object, len(objs))
	for i, o := range objs {
		out[i] = objects.Copy(o)
	}
	return out
}

func copiesOf(d []Desired) []Desired {
	if d == nil {
		return nil
	}
	out := make([]Desired, len(d))
	for i, x := range d {
		out[i] = Desired{Object: objects.Copy(x.Object), Path: x.Path}
	}
	return out
}

func desiredObjects(d []Desired) []objects.Object {
	if d == nil {
		return nil
	}
	out := make([]objects.Object, len(d))
	for i, x := range d {
		out[i] = x.Object
	}
	return out
}

// A Planner plans exactly what PlanChanges plans, the first time and when
// every verdict comes from its memory, and neither modifies its inputs
// (they are shared with the schema and store caches).
func TestPlannerMatchesPlanChangesAndIsPure(t *testing.T) {
	for _, tc := range planCases() {
		t.Run(tc.name, func(t *testing.T) {
			dBefore, sBefore := copiesOf(tc.desired), copies(tc.stored)
			pl := NewPlanner()
			for round := 1; round <= 3; round++ {
				if got := summarise(pl.Plan(tc.desired, tc.stored, tc.opts)); got != tc.want {
					t.Errorf("round %d:\ngot  %s\nwant %s", round, got, tc.want)
				}
			}
			PlanChanges(tc.desired, tc.stored, tc.opts)
			if !reflect.DeepEqual(desiredObjects(tc.desired), desiredObjects(dBefore)) || !reflect.DeepEqual(tc.stored, sBefore) {
				t.Error("planning modified its inputs")
			}
		})
	}
}

// storedWithRVs is desired as stored by "main", each object with its own
// uid and resourceVersion (as the store assigns them).
func storedWithRVs(d []Desired) []objects.Object {
	out := storedFor(d)
	for i, o := range out {
		o.SetUID(types.UID(fmt.Sprintf("uid-%d", i)))
		o.SetResourceVersion(fmt.Sprint(100 + i))
	}
	return out
}

func replicasOf(o objects.Object) int32 { return *o.(*appsv1.Deployment).Spec.Replicas }

func TestPlannerMemo(t *testing.T) {
	opts := PlanOptions{Source: "main", Prune: true}
	type setup struct {
		d      []Desired
		stored []objects.Object
		pl     *Planner
	}
	// Each case starts from a Planner that has planned 5 unchanged objects.
	start := func(t *testing.T) setup {
		d := manyDesired(5)
		s := setup{d: d, stored: storedWithRVs(d), pl: NewPlanner()}
		if got := summarise(s.pl.Plan(s.d, s.stored, opts)); got != "unchanged 5" {
			t.Fatalf("first plan: %s", got)
		}
		if n := len(s.pl.memos["main"].entries); n != 5 {
			t.Fatalf("memo holds %d verdicts, want 5", n)
		}
		return s
	}
	tests := []struct {
		name   string
		change func(s *setup)
		want   string
	}{
		{"nothing changed", func(s *setup) {}, "unchanged 5"},
		{"spec edited through the API: new generation, compared again", func(s *setup) {
			o := objects.Copy(s.stored[2])
			*o.(*appsv1.Deployment).Spec.Replicas = 9
			o.SetResourceVersion("200")
			o.SetGeneration(2)
			s.stored[2] = o
		}, "update Deployment/ns2/app-00002 [spec.replicas: 9→2]; unchanged 4"},
		{"labels edited through the API: same generation, still seen", func(s *setup) {
			o := objects.Copy(s.stored[2])
			o.SetLabels(map[string]string{"app": "hijacked"})
			o.SetResourceVersion("200")
			s.stored[2] = o
		}, "update Deployment/ns2/app-00002 [metadata.labels.app: \"hijacked\"→\"app-00002\"]; unchanged 4"},
		{"annotation added through the API: same generation, still seen", func(s *setup) {
			o := objects.Copy(s.stored[2])
			o.GetAnnotations()["team"] = "x"
			o.SetResourceVersion("200")
			s.stored[2] = o
		}, "update Deployment/ns2/app-00002 [metadata.annotations.team: \"x\"→]; unchanged 4"},
		{"status written by a controller: new resourceVersion, same generation", func(s *setup) {
			o := objects.Copy(s.stored[2])
			o.(*appsv1.Deployment).Status.Replicas = 2
			o.SetResourceVersion("200")
			s.stored[2] = o
		}, "unchanged 5"},
		{"stored object deleted and recreated by hand: new uid, compared again", func(s *setup) {
			o := objects.Copy(s.stored[1])
			*o.(*appsv1.Deployment).Spec.Replicas = 9
			o.SetUID("another")
			s.stored[1] = o
		}, "update Deployment/ns1/app-00001 [spec.replicas: 9→2]; unchanged 4"},
		{"new desired pointer with a change", func(s *setup) {
			o := objects.Copy(s.d[3].Object)
			*o.(*appsv1.Deployment).Spec.Replicas = 4
			s.d[3].Object = o
		}, "update Deployment/ns3/app-00003 [spec.replicas: 2→4]; unchanged 4"},
		{"new desired pointer, same content", func(s *setup) {
			s.d[3].Object = objects.Copy(s.d[3].Object)
		}, "unchanged 5"},
		{"same pointer from another file", func(s *setup) {
			s.d[0].Path = "moved.yaml"
		}, "update Deployment/ns0/app-00000 [metadata.annotations[\"reconcile.dev/source-path\"]: \"apps/app-00000.yaml\"→\"moved.yaml\"]; unchanged 4"},
		{"removed from git: still pruned", func(s *setup) {
			s.d = s.d[:4]
		}, "delete Deployment/ns4/app-00004; unchanged 4"},
		{"taken over by another source: refused", func(s *setup) {
			o := objects.Copy(s.stored[4])
			o.SetAnnotations(map[string]string{objects.AnnotationSource: "other"})
			o.SetResourceVersion("201")
			s.stored[4] = o
		}, "error apps/app-00004.yaml: Deployment/ns4/app-00004: is managed by source \"other\"; remove it from one of the two sources; unchanged 4"},
		// Proof that the memo skips comparisons: changes the store never
		// makes without a new resourceVersion or generation are not seen.
		// Without the memo these cases would plan an update.
		{"same resourceVersion: the whole verdict is reused", func(s *setup) {
			o := objects.Copy(s.stored[2])
			*o.(*appsv1.Deployment).Spec.Replicas = 9
			o.SetLabels(nil)
			s.stored[2] = o
		}, "unchanged 5"},
		{"same uid and generation: the spec verdict is reused", func(s *setup) {
			o := objects.Copy(s.stored[2])
			*o.(*appsv1.Deployment).Spec.Replicas = 9
			o.SetResourceVersion("200")
			s.stored[2] = o
		}, "unchanged 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			tc.change(&s)
			if got := summarise(s.pl.Plan(s.d, s.stored, opts)); got != tc.want {
				t.Errorf("\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// Verdicts of objects that were changed, refused or removed are dropped;
// sources do not share verdicts.
func TestPlannerMemoForgets(t *testing.T) {
	d := manyDesired(5)
	stored := storedWithRVs(d)
	pl := NewPlanner()
	opts := PlanOptions{Source: "main", Prune: true}
	pl.Plan(d, stored, opts)
	pl.Plan(d[:2], stored, opts)
	if n := len(pl.memos["main"].entries); n != 2 {
		t.Errorf("memo holds %d verdicts after 3 objects left git, want 2", n)
	}
	changed := copiesOf(d[:2])
	*changed[0].Object.(*appsv1.Deployment).Spec.Replicas = 5
	pl.Plan(changed, stored, opts)
	if n := len(pl.memos["main"].entries); n != 1 {
		t.Errorf("memo holds %d verdicts after one object changed, want 1", n)
	}
	// The same objects desired by another source are its errors, not
	// "unchanged" by the first source's verdicts.
	if got := pl.Plan(d, stored, PlanOptions{Source: "other"}); len(got.Errors) != 5 || got.Unchanged != 0 {
		t.Errorf("another source: %s", summarise(got))
	}
	pl.Forget()
	if len(pl.memos) != 0 {
		t.Error("Forget kept verdicts")
	}
}

// Stored objects without a resourceVersion (an offline diff's base) are
// never remembered: two different objects could not be told apart.
func TestPlannerDoesNotRememberUnversionedObjects(t *testing.T) {
	d := manyDesired(3)
	pl := NewPlanner()
	opts := PlanOptions{Source: "main"}
	pl.Plan(d, Stamp(d, "main"), opts)
	if n := len(pl.memos["main"].entries); n != 0 {
		t.Errorf("memo holds %d verdicts", n)
	}
	base := Stamp(d, "main")
	*base[1].(*appsv1.Deployment).Spec.Replicas = 6
	if got := summarise(pl.Plan(d, base, opts)); got != "update Deployment/ns1/app-00001 [spec.replicas: 6→2]; unchanged 2" {
		t.Errorf("got %s", got)
	}
}
