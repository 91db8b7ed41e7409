package gitsync

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestSnapshotOfAndDescendsLocal(t *testing.T) {
	r := testkit.NewRepo(t)
	r.Write("app/a.yaml", "v1\n")
	c1 := r.Commit("v1")
	r.Write("app/a.yaml", "v2\n")
	c2 := r.Commit("v2")
	s, err := New(Config{Name: "web", URL: r.Dir, Path: "app"})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.SnapshotOf(context.Background(), c1[:10])
	if err != nil {
		t.Fatal(err)
	}
	if snap.Commit != c1 || len(snap.Files) != 1 || string(snap.Files[0].Data) != "v1\n" || snap.Message != "v1" {
		t.Errorf("snapshot of c1: %s %q %v", snap.Commit, snap.Message, snap.Files)
	}
	if _, err := s.SnapshotOf(context.Background(), "not-a-hash"); err == nil {
		t.Error("a ref name is refused: rollback takes a commit")
	}
	check := func(commit, ancestor string, wantDescends, wantKnown bool) {
		t.Helper()
		d, k, err := s.Descends(context.Background(), commit, ancestor)
		if err != nil || d != wantDescends || k != wantKnown {
			t.Errorf("Descends(%.7s, %.7s) = %v, %v, %v; want %v, %v", commit, ancestor, d, k, err, wantDescends, wantKnown)
		}
	}
	check(c2, c1, true, true)
	check(c1, c1, true, true)
	check(c1, c2, false, true) // the ref moved back: a force-push
	// A rewritten branch: c3 has c1 as parent, not c2.
	r.Git("reset", "-q", "--hard", c1)
	r.Write("app/a.yaml", "v3\n")
	c3 := r.Commit("v3")
	check(c3, c2, false, true)
	check(c3, c1, true, true)
}

func TestSnapshotOfRemoteFetchesAMissingCommit(t *testing.T) {
	r := testkit.NewRepo(t)
	r.Write("a.yaml", "v1\n")
	c1 := r.Commit("v1")
	r.Write("a.yaml", "v2\n")
	r.Commit("v2")
	root := t.TempDir()
	testkit.Run(t, root, "clone", "-q", "--bare", r.Dir, filepath.Join(root, "repo.git"))
	srv := testkit.HTTPServer(t, root, "")
	s, err := New(Config{Name: "web", URL: srv.URL + "/repo.git", Ref: "main", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fetch(context.Background()); err != nil { // shallow: c1 is not in the cache
		t.Fatal(err)
	}
	snap, err := s.SnapshotOf(context.Background(), c1)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Commit != c1 || string(snap.Files[0].Data) != "v1\n" {
		t.Errorf("snapshot of c1: %s %v", snap.Commit, snap.Files)
	}
}

// A force-push to a remote: the cache is shallow, so Descends fetches the
// history it needs.
func TestDescendsRemoteAfterForcePush(t *testing.T) {
	r := testkit.NewRepo(t)
	r.Write("a.yaml", "v1\n")
	c1 := r.Commit("v1")
	r.Write("a.yaml", "v2\n")
	c2 := r.Commit("v2")
	root := t.TempDir()
	bare := filepath.Join(root, "repo.git")
	testkit.Run(t, root, "clone", "-q", "--bare", r.Dir, bare)
	srv := testkit.HTTPServer(t, root, "")
	s, err := New(Config{Name: "web", URL: srv.URL + "/repo.git", Ref: "main", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	fetchAt := func(want string) {
		t.Helper()
		snap, err := s.Fetch(context.Background())
		if err != nil || snap.Commit != want {
			t.Fatalf("fetch: %v, %v; want %.7s", snap, err, want)
		}
	}
	fetchAt(c2)
	r.Write("a.yaml", "v3\n")
	c3 := r.Commit("v3")
	r.Git("push", "-q", bare, "main")
	fetchAt(c3)
	if d, k, err := s.Descends(context.Background(), c3, c2); err != nil || !d || !k {
		t.Errorf("fast-forward c2 → c3: %v %v %v", d, k, err)
	}
	r.Git("reset", "-q", "--hard", c1)
	r.Write("a.yaml", "rewritten\n")
	c4 := r.Commit("rewritten")
	r.Git("push", "-q", "--force", bare, "main")
	fetchAt(c4)
	if d, k, err := s.Descends(context.Background(), c4, c3); err != nil || d || !k {
		t.Errorf("force-push c3 → c4: descends %v, known %v, %v; want false, true", d, k, err)
	}
}
