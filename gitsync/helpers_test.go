package gitsync

import (
	"context"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// testRepo is a real git repository made with the git CLI (testkit.Repo
// under the short names these tests use).
type testRepo struct {
	*testkit.Repo
	t   testing.TB
	dir string
}

func newTestRepo(t testing.TB) *testRepo {
	t.Helper()
	g := testkit.NewRepo(t)
	return &testRepo{Repo: g, t: t, dir: g.Dir}
}

func (r *testRepo) git(args ...string) string  { r.t.Helper(); return r.Git(args...) }
func (r *testRepo) write(path, content string) { r.t.Helper(); r.Write(path, content) }
func (r *testRepo) commit(msg string) string   { r.t.Helper(); return r.Commit(msg) }

func newSource(t testing.TB, cfg Config) *Source {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return s
}

func fetch(t testing.TB, s *Source) *Snapshot {
	t.Helper()
	snap, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return snap
}

// contents maps path → Data (or "-> target" for symlinks) for compact asserts.
func contents(snap *Snapshot) map[string]string {
	m := map[string]string{}
	for _, f := range snap.Files {
		if f.SymlinkTarget != "" {
			m[f.Path] = "-> " + f.SymlinkTarget
			continue
		}
		m[f.Path] = string(f.Data)
	}
	return m
}

// waitSignal waits for a Watch signal with a generous deadline: the test
// fails only if no signal ever comes, never on how fast it came.
func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch channel closed", what)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no signal within 20s", what)
	}
}

// drain empties a pending signal so the next wait sees a new one.
func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
