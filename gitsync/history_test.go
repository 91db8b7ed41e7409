package gitsync

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reconcile-dev/reconcile/gitsync/gittest"
)

func TestSnapshotOfAndDescendsLocal(t *testing.T) {
	r := gittest.NewRepo(t)
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
		d, k, err := s.Descends(commit, ancestor)
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
	r := gittest.NewRepo(t)
	r.Write("a.yaml", "v1\n")
	c1 := r.Commit("v1")
	r.Write("a.yaml", "v2\n")
	r.Commit("v2")
	root := t.TempDir()
	gittest.Run(t, root, "clone", "-q", "--bare", r.Dir, filepath.Join(root, "repo.git"))
	srv := gittest.HTTPServer(t, root, "")
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
