package sources

import (
	"context"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestManifestLine: the line of an object's document in its file at a
// commit (the Kubernetes API's 405 names it), read at that commit even
// after the file moved on.
func TestManifestLine(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("apps/cm.yaml", configMap("first", "one")+"---\n"+configMap("app", "one"))
	c1 := repo.Commit("one")
	repo.Write("apps/cm.yaml", configMap("app", "two"))
	repo.Commit("two")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir}})
	want := strings.Count(configMap("first", "one"), "\n") + 2 // after the first document and its ---
	key := objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "app"}
	line, err := h.m.ManifestLine(context.Background(), "web", c1, "apps/cm.yaml", key)
	if err != nil || line != want {
		t.Errorf("line of ConfigMap app at c1: %d, %v; want %d", line, err, want)
	}
	if line, err := h.m.ManifestLine(context.Background(), "web", c1, "apps/cm.yaml", objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "nope"}); err != nil || line != 0 {
		t.Errorf("a document not in the file: %d, %v", line, err)
	}
	if _, err := h.m.ManifestLine(context.Background(), "web", c1, "apps/none.yaml", key); err == nil {
		t.Error("a file not in the commit was found")
	}
	if _, err := h.m.ManifestLine(context.Background(), "nope", c1, "apps/cm.yaml", key); err == nil {
		t.Error("an unknown source was read")
	}
}
