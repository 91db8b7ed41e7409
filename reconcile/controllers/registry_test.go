package controllers

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/health"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// describe is one registry entry as a line of the golden file.
func describe(c Controller) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s component=%q", c.Kind, c.Component)
	if len(c.Owns) > 0 {
		fmt.Fprintf(&b, " owns=%s", strings.Join(c.Owns, ","))
	}
	if c.Adopts {
		b.WriteString(" adopts")
	}
	if len(c.Watches) > 0 {
		fmt.Fprintf(&b, " watches=%s", strings.Join(slices.Sorted(maps.Keys(c.Watches)), ","))
	}
	if len(c.Reads) > 0 {
		fmt.Fprintf(&b, " reads=%s", strings.Join(c.Reads, ","))
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{c.OnOwnerDeleted, "on-owner-deleted"}, {c.Quiet, "quiet"}, {c.BatchClock, "batch-clock"},
		{c.Resync != nil, "resync"}, {c.Step != nil, "step"}, {c.Preview != nil, "preview"}, {c.Health != nil, "health"}} {
		if f.on {
			b.WriteString(" " + f.name)
		}
	}
	if c.Every > 0 {
		fmt.Fprintf(&b, " every=%s", c.Every)
	}
	return b.String()
}

// TestRegistryGolden lists every registered kind and built-in step in
// run order, with its owners, triggers and component.
func TestRegistryGolden(t *testing.T) {
	var lines []string
	for _, c := range Registry() {
		lines = append(lines, describe(c))
	}
	lines = append(lines, "watched kinds: "+strings.Join(watchedKinds(Registry()), ","))
	lines = append(lines, "owner kinds: "+strings.Join(slices.Sorted(maps.Keys(OwnerKinds)), ","))
	testkit.GoldenJSON(t, "testdata/registry.golden", lines)
}

// TestRegistryIsConsistent checks the rules every entry must follow.
func TestRegistryIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	watched := map[string]bool{}
	for _, k := range watchedKinds(Registry()) {
		watched[k] = true
	}
	for _, c := range Registry() {
		t.Run(c.Kind, func(t *testing.T) {
			if seen[c.Kind] {
				t.Fatalf("%s is registered twice", c.Kind)
			}
			seen[c.Kind] = true
			if c.Step != nil && c.Component == "" {
				t.Errorf("a step without a component name (events need source.component)")
			}
			if builtIn(objects.Key{Kind: c.Kind}) {
				if c.Preview != nil || c.Health != nil || len(c.Owns) > 0 {
					t.Errorf("a built-in step has no objects to preview, assess or own")
				}
				return
			}
			if _, ok := objects.Info(c.Kind); !ok {
				t.Errorf("%s is not a kind of schema/objects", c.Kind)
			}
			if c.Health != nil {
				// The assessor is the kind's own: For of another kind's
				// assessor answers None for every object of this kind.
				o, err := objects.New(c.Kind)
				if err != nil {
					t.Fatal(err)
				}
				if st, _ := c.Health(o); st == health.None {
					t.Errorf("%s: its Health assesses another kind (None for a %s)", c.Kind, c.Kind)
				}
			}
			for _, k := range c.Owns {
				if !watched[k] {
					t.Errorf("owned kind %s is not watched", k)
				}
			}
			if got, ok := Lookup(c.Kind); !ok || got.Kind != c.Kind {
				t.Errorf("Lookup(%s) = %v, %v", c.Kind, got.Kind, ok)
			}
		})
	}
	if _, ok := Lookup("ConfigMap"); ok {
		t.Errorf("Lookup found an unregistered kind")
	}
}
