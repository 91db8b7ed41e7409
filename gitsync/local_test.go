package gitsync

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/schema"
)

func TestLocalRootSnapshot(t *testing.T) {
	r := newTestRepo(t)
	r.write("app/deploy.yaml", "kind: Deployment\n")
	r.write("config.json", "{}\n")
	commit := r.commit("first\n\nbody")

	snap := fetch(t, newSource(t, Config{Name: "demo", URL: r.dir}))
	if snap.Source != "demo" || snap.Commit != commit {
		t.Errorf("source/commit = %q/%q, want demo/%s", snap.Source, snap.Commit, commit)
	}
	if snap.Author != "Ada <ada@example.com>" || snap.Message != "first\n\nbody" || snap.Time.IsZero() {
		t.Errorf("author/message/time = %q/%q/%v", snap.Author, snap.Message, snap.Time)
	}
	want := map[string]string{"app/deploy.yaml": "kind: Deployment\n", "config.json": "{}\n"}
	if got := contents(snap); !maps.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	for _, f := range snap.Files {
		if wantHash := r.git("rev-parse", "HEAD:"+f.Path); f.Hash != wantHash {
			t.Errorf("%s: hash %s, want blob hash %s", f.Path, f.Hash, wantHash)
		}
		if f.Size != int64(len(f.Data)) {
			t.Errorf("%s: size %d, data %d bytes", f.Path, f.Size, len(f.Data))
		}
	}
	if !slices.IsSortedFunc(snap.Files, func(a, b schema.File) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("files are not sorted by path")
	}
}

func TestLocalSubPath(t *testing.T) {
	r := newTestRepo(t)
	r.write("top.yaml", "a\n")
	r.write("apps/web/web.yaml", "web\n")
	r.write("apps/db.yaml", "db\n")
	r.commit("c1")

	cases := []struct {
		name string
		cfg  Config
		want map[string]string
	}{
		{"url points at sub-directory", Config{URL: filepath.Join(r.dir, "apps")},
			map[string]string{"web/web.yaml": "web\n", "db.yaml": "db\n"}},
		{"path option", Config{URL: r.dir, Path: "apps/web"},
			map[string]string{"web.yaml": "web\n"}},
		{"path relative to sub-directory url", Config{URL: filepath.Join(r.dir, "apps"), Path: "/web/"},
			map[string]string{"web.yaml": "web\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := contents(fetch(t, newSource(t, c.cfg))); !maps.Equal(got, c.want) {
				t.Errorf("files = %v, want %v", got, c.want)
			}
		})
	}
}

func TestRelativeLocalURL(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.yaml", "a\n")
	r.commit("c1")
	t.Chdir(r.dir)
	if got := contents(fetch(t, newSource(t, Config{URL: "."}))); got["a.yaml"] != "a\n" {
		t.Errorf("files = %v", got)
	}
}

func TestUncommittedEditsAreNotDeployed(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.yaml", "committed\n")
	r.write("b.yaml", "committed\n")
	r.commit("c1")
	r.write("a.yaml", "edited, not staged\n")
	r.write("b.yaml", "edited and staged\n")
	r.git("add", "b.yaml")
	r.write("new.yaml", "untracked\n")

	want := map[string]string{"a.yaml": "committed\n", "b.yaml": "committed\n"}
	if got := contents(fetch(t, newSource(t, Config{URL: r.dir}))); !maps.Equal(got, want) {
		t.Errorf("files = %v, want only the committed tree %v", got, want)
	}
}

func TestRefs(t *testing.T) {
	r := newTestRepo(t)
	r.write("v.yaml", "one\n")
	c1 := r.commit("c1")
	r.git("tag", "v1")
	r.git("tag", "-a", "v1-annotated", "-m", "release")
	r.write("v.yaml", "two\n")
	c2 := r.commit("c2")
	r.git("branch", "stable", c1)
	r.git("checkout", "-q", "-b", "feature/x")
	r.write("v.yaml", "three\n")
	c3 := r.commit("c3")

	cases := []struct{ ref, commit string }{
		{"", c3}, // HEAD: the checked-out branch
		{"main", c2},
		{"stable", c1},
		{"feature/x", c3},
		{"v1", c1},
		{"v1-annotated", c1},
		{c2, c2},
		{c1[:7], c1},
		{strings.ToUpper(c1[:9]), c1},
		{"refs/heads/main", c2},
	}
	for _, c := range cases {
		snap := fetch(t, newSource(t, Config{URL: r.dir, Ref: c.ref}))
		if snap.Commit != c.commit {
			t.Errorf("ref %q: commit %s, want %s", c.ref, snap.Commit, c.commit)
		}
	}
	// A branch wins over a tag of the same name, as documented.
	r.git("tag", "stable", c2)
	if snap := fetch(t, newSource(t, Config{URL: r.dir, Ref: "stable"})); snap.Commit != c1 {
		t.Errorf("ref stable: got %s, want the branch %s", snap.Commit, c1)
	}
}

func TestSnapshotAt(t *testing.T) {
	r := newTestRepo(t)
	r.write("deploy/a.yaml", "one\n")
	c1 := r.commit("c1")
	r.write("deploy/a.yaml", "two\n")
	r.commit("c2")

	base, err := SnapshotAt(r.dir, c1, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	head, err := SnapshotAt(filepath.Join(r.dir, "deploy"), "main", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := contents(base)["a.yaml"]; got != "one\n" {
		t.Errorf("base a.yaml = %q", got)
	}
	if got := contents(head)["a.yaml"]; got != "two\n" {
		t.Errorf("head a.yaml = %q", got)
	}
}

func TestOversizeSymlinkAndSubmodule(t *testing.T) {
	r := newTestRepo(t)
	big := strings.Repeat("x", MaxFileSize+1)
	r.write("big.yaml", big)
	r.write("limit.yaml", big[:MaxFileSize])
	r.write("real.yaml", "real\n")
	if err := os.Symlink("real.yaml", filepath.Join(r.dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	r.commit("c1")
	// A submodule entry (gitlink) points at a commit of another repo.
	r.git("update-index", "--add", "--cacheinfo", "160000,"+r.git("rev-parse", "HEAD")+",vendor/sub")
	r.git("commit", "-q", "-m", "submodule")

	files := map[string]schema.File{}
	for _, f := range fetch(t, newSource(t, Config{URL: r.dir})).Files {
		files[f.Path] = f
	}
	if f := files["big.yaml"]; f.Size != MaxFileSize+1 || f.Data != nil {
		t.Errorf("big.yaml: size %d, %d bytes of data; want size only", f.Size, len(f.Data))
	}
	if f := files["limit.yaml"]; f.Size != MaxFileSize || len(f.Data) != MaxFileSize {
		t.Errorf("limit.yaml: size %d, %d bytes of data; want the data", f.Size, len(f.Data))
	}
	if f := files["link.yaml"]; f.SymlinkTarget != "real.yaml" || f.Data != nil {
		t.Errorf("link.yaml = %+v, want symlink target real.yaml and no data", f)
	}
	if _, ok := files["vendor/sub"]; ok {
		t.Error("submodule listed as a file")
	}
	if len(files) != 4 {
		t.Errorf("got %d files, want 4", len(files))
	}
}

func TestBlobCacheReusesUnchangedFiles(t *testing.T) {
	r := newTestRepo(t)
	r.write("same.yaml", "unchanged\n")
	r.write("changes.yaml", "v1\n")
	r.commit("c1")
	s := newSource(t, Config{URL: r.dir})
	first := fetch(t, s)
	r.write("changes.yaml", "v2\n")
	r.commit("c2")
	second := fetch(t, s)

	byPath := func(snap *Snapshot, p string) schema.File {
		for _, f := range snap.Files {
			if f.Path == p {
				return f
			}
		}
		t.Fatalf("%s missing", p)
		return schema.File{}
	}
	a, b := byPath(first, "same.yaml"), byPath(second, "same.yaml")
	if &a.Data[0] != &b.Data[0] {
		t.Error("unchanged blob was read again instead of coming from the cache")
	}
	if got := string(byPath(second, "changes.yaml").Data); got != "v2\n" {
		t.Errorf("changes.yaml = %q", got)
	}
	// An unchanged commit is served from the last listing, as a copy.
	second.Files[0].Path = "changed by the caller"
	if third := fetch(t, s); third.Commit != second.Commit || third.Files[0].Path == "changed by the caller" {
		t.Errorf("refetch of the same commit: %s %q", third.Commit, third.Files[0].Path)
	}
	if n := len(s.blobs.entries); n != 2 {
		t.Errorf("cache holds %d blobs, want the 2 of the last snapshot", n)
	}
}

func TestGarbageCollectedRepo(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.yaml", "a\n")
	r.commit("c1")
	r.git("gc", "-q") // the storage indexes this pack on first use
	s := newSource(t, Config{URL: r.dir})
	fetch(t, s)
	r.write("b.yaml", "b\n")
	c2 := r.commit("c2")
	r.git("gc", "-q", "--prune=now") // loose objects move into a new pack
	if snap := fetch(t, s); snap.Commit != c2 || len(snap.Files) != 2 {
		t.Errorf("after gc: commit %s with %d files, want %s with 2", snap.Commit, len(snap.Files), c2)
	}
}
