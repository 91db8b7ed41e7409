package sources

import (
	"context"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// TestFileAndDiffOfCommits: the web UI's manifest from git and its diff
// between two commits, read from a real repository as rollback reads it.
func TestFileAndDiffOfCommits(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	repo.Write("cm.yaml", configMap("app", "two"))
	repo.Write("other.yaml", configMap("other", "x"))
	c2 := repo.Commit("two")
	repo.Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  nmae: typo\n")
	bad := repo.Commit("bad")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir}, Namespace: "shop"})
	ctx := context.Background()

	b, err := h.m.File(ctx, "web", c1, "cm.yaml")
	if err != nil || !strings.Contains(string(b), "value: one") {
		t.Fatalf("cm.yaml at c1: %q %v", b, err)
	}
	if _, err := h.m.File(ctx, "web", c1, "other.yaml"); err == nil || !strings.Contains(err.Error(), "no file other.yaml at commit") {
		t.Errorf("a file the commit lacks: %v", err)
	}
	if _, err := h.m.File(ctx, "nope", c1, "cm.yaml"); err == nil || !strings.Contains(err.Error(), `no source named "nope"`) {
		t.Errorf("an unknown source: %v", err)
	}

	plan, err := h.m.Diff(ctx, "web", c1, c2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range plan.Changes {
		got = append(got, string(c.Action)+" "+c.Key.String())
	}
	if strings.Join(got, ", ") != "create ConfigMap/shop/other, update ConfigMap/shop/app" && strings.Join(got, ", ") != "update ConfigMap/shop/app, create ConfigMap/shop/other" {
		t.Errorf("plan c1→c2 (into the source's namespace shop): %v", got)
	}
	back, err := h.m.Diff(ctx, "web", c2, c1)
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for _, c := range back.Changes {
		if c.Action == reconcile.Delete {
			deleted++
		}
	}
	if deleted != 1 {
		t.Errorf("plan c2→c1 deletes %d objects, want other's ConfigMap", deleted)
	}
	if _, err := h.m.Diff(ctx, "web", c2, bad); err == nil || !strings.Contains(err.Error(), "cm.yaml:5:3") {
		t.Errorf("a diff to an invalid commit names its errors: %v", err)
	}
}
