package gitsync

import (
	"context"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestFileURLCloneAndFetch(t *testing.T) {
	r := newTestRepo(t)
	r.write("deploy/a.yaml", "v1\n")
	c1 := r.commit("c1")
	r.git("tag", "-a", "v1", "-m", "release 1")
	cache := t.TempDir()
	s := newSource(t, Config{Name: "demo", URL: "file://" + r.dir, Path: "deploy", CacheDir: cache})

	snap := fetch(t, s)
	if snap.Commit != c1 || contents(snap)["a.yaml"] != "v1\n" {
		t.Fatalf("first fetch: %s %v", snap.Commit, contents(snap))
	}
	if _, err := os.Stat(filepath.Join(cache, "demo", "HEAD")); err != nil {
		t.Errorf("no bare clone in CacheDir/<name>: %v", err)
	}

	r.write("deploy/a.yaml", "v2\n")
	r.write("deploy/b.yaml", "b\n")
	c2 := r.commit("c2")
	snap = fetch(t, s)
	want := map[string]string{"a.yaml": "v2\n", "b.yaml": "b\n"}
	if snap.Commit != c2 || !maps.Equal(contents(snap), want) {
		t.Fatalf("after a new commit: %s %v, want %s %v", snap.Commit, contents(snap), c2, want)
	}
	if again := fetch(t, s); again.Commit != c2 {
		t.Errorf("fetch without change: %s", again.Commit)
	}

	// Tag, and an old commit by short hash: needs history past the shallow tip.
	for _, ref := range []string{"v1", c1[:8], c1} {
		s := newSource(t, Config{Name: "demo", URL: "file://" + r.dir, Path: "deploy", CacheDir: cache, Ref: ref})
		if snap := fetch(t, s); snap.Commit != c1 || contents(snap)["a.yaml"] != "v1\n" {
			t.Errorf("ref %s: %s %v, want %s", ref, snap.Commit, contents(snap), c1)
		}
	}
}

func TestFileURLDefaultBranchNotMain(t *testing.T) {
	r := newTestRepo(t)
	r.commit("c1")
	r.git("checkout", "-q", "-b", "trunk")
	r.write("x.yaml", "x\n")
	c2 := r.commit("c2")
	s := newSource(t, Config{URL: "file://" + r.dir, CacheDir: t.TempDir()})
	if snap := fetch(t, s); snap.Commit != c2 {
		t.Errorf("HEAD: %s, want trunk's %s", snap.Commit, c2)
	}
}

// gitHTTPServer serves bare repos under root with git-http-backend, admitting
// only requests that carry the token as a basic-auth password or bearer token.
func gitHTTPServer(t *testing.T, root, token string) *httptest.Server {
	return testkit.HTTPServer(t, root, token)
}

func TestHTTPTokenAuth(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.yaml", "a\n")
	c1 := r.commit("c1")
	root := t.TempDir()
	testkit.Run(t, root, "clone", "-q", "--bare", r.dir, filepath.Join(root, "repo.git"))
	srv := gitHTTPServer(t, root, "s3cret")
	url := srv.URL + "/repo.git"

	writeToken := func(content string) string {
		f := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tok := range []string{"s3cret\n", "oauth2:s3cret", "Bearer s3cret"} {
		s := newSource(t, Config{Name: "web", URL: url, TokenFile: writeToken(tok), CacheDir: t.TempDir()})
		if snap := fetch(t, s); snap.Commit != c1 || contents(snap)["a.yaml"] != "a\n" {
			t.Errorf("token %q: %s %v", tok, snap.Commit, contents(snap))
		}
	}

	// A new commit pushed to the served repo arrives on the next fetch.
	tokenFile := writeToken("s3cret")
	s := newSource(t, Config{Name: "web", URL: url, TokenFile: tokenFile, CacheDir: t.TempDir()})
	fetch(t, s)
	r.write("a.yaml", "a2\n")
	c2 := r.commit("c2")
	r.git("push", "-q", filepath.Join(root, "repo.git"), "main")
	if snap := fetch(t, s); snap.Commit != c2 {
		t.Errorf("after push: %s, want %s", snap.Commit, c2)
	}

	for _, cfg := range []Config{
		{Name: "web", URL: url, TokenFile: writeToken("wrong"), CacheDir: t.TempDir()},
		{Name: "web", URL: url, CacheDir: t.TempDir()},
	} {
		_, err := newSource(t, cfg).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "authentication required or the credentials were refused") {
			t.Errorf("token file %q: error %v, want an authentication error", cfg.TokenFile, err)
		}
	}
}
