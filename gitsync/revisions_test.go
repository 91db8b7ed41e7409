package gitsync

import (
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// The refs a CI job passes to `reconcile diff --base/--head`: HEAD
// (detached in a pull-request checkout), HEAD~1, and origin/main in a clone.
func TestSnapshotAtCIRevisions(t *testing.T) {
	r := testkit.NewRepo(t)
	r.Write("a.yaml", "one\n")
	c1 := r.Commit("c1")
	r.Write("a.yaml", "two\n")
	c2 := r.Commit("c2")

	clone := t.TempDir()
	testkit.Run(t, clone, "clone", "-q", r.Dir, ".")
	testkit.Run(t, clone, "checkout", "-q", "--detach", c1)

	cases := []struct{ dir, ref, want string }{
		{r.Dir, "HEAD", c2},
		{r.Dir, "HEAD~1", c1},
		{r.Dir, "main^", c1},
		{clone, "HEAD", c1},          // detached
		{clone, "origin/main", c2},   // remote-tracking branch only
		{clone, "origin/main~1", c1}, // both
	}
	for _, c := range cases {
		snap, err := SnapshotAt(c.dir, c.ref, "")
		if err != nil {
			t.Errorf("%s: %v", c.ref, err)
			continue
		}
		if snap.Commit != c.want {
			t.Errorf("%s in %s: commit %s, want %s", c.ref, c.dir, snap.Commit, c.want)
		}
	}
	if _, err := SnapshotAt(r.Dir, "nope~1", ""); err == nil {
		t.Error("an unknown revision resolved")
	}
}
