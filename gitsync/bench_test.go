package gitsync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// benchFiles is the size of the repo the speed targets name.
const benchFiles = 10000

var (
	benchOnce sync.Once
	benchDirs struct{ loose, packed string }
	benchRoot string
	// benchCommits makes every benchmark commit a new content.
	benchCommits int
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

// benchRepos makes two 10,000-manifest repos (100 directories of 100
// Deployments): one with loose objects as after fresh commits, one packed
// as after git gc or a clone.
func benchRepos(b *testing.B) (loose, packed string) {
	benchOnce.Do(func() {
		var err error
		benchRoot, err = os.MkdirTemp("", "gitsync-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDirs.loose = filepath.Join(benchRoot, "loose")
		for d := range benchFiles / 100 {
			dir := filepath.Join(benchDirs.loose, "apps", fmt.Sprintf("team-%03d", d))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			for f := range 100 {
				name := fmt.Sprintf("app-%03d-%03d", d, f)
				if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(benchManifest(name, 2)), 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
		testkit.Run(b, benchDirs.loose, "init", "-q", "-b", "main")
		testkit.Run(b, benchDirs.loose, "add", "-A")
		testkit.Run(b, benchDirs.loose, "commit", "-q", "-m", "10k manifests")
		benchDirs.packed = filepath.Join(benchRoot, "packed")
		testkit.Run(b, benchRoot, "clone", "-q", "--no-local", benchDirs.loose, benchDirs.packed)
	})
	return benchDirs.loose, benchDirs.packed
}

func benchManifest(name string, replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels: {app: %[1]s}
spec:
  replicas: %[2]d
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
      - name: web
        image: localhost/reconcile-hello:v1
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 50m, memory: 32Mi}}
`, name, replicas)
}

// BenchmarkFetchLocal10k measures Fetch of a local 10,000-file repo: cold (a
// new Source, every blob inflated) and warm (the same commit again, every
// blob from the Source's cache), on loose and packed objects.
func BenchmarkFetchLocal10k(b *testing.B) {
	loose, packed := benchRepos(b)
	for _, repo := range []struct{ name, dir string }{{"loose", loose}, {"packed", packed}} {
		b.Run(repo.name+"/cold", func(b *testing.B) {
			for b.Loop() {
				s := newSource(b, Config{URL: repo.dir})
				if snap := fetch(b, s); len(snap.Files) != benchFiles {
					b.Fatalf("%d files", len(snap.Files))
				}
			}
		})
		b.Run(repo.name+"/warm", func(b *testing.B) {
			s := newSource(b, Config{URL: repo.dir})
			fetch(b, s)
			for b.Loop() {
				fetch(b, s)
			}
		})
	}
}

// BenchmarkFetchLocal10kOneFileChanged measures the common case behind the
// commit-to-container target: a commit changes one manifest of 10,000 and
// the running Source fetches it.
func BenchmarkFetchLocal10kOneFileChanged(b *testing.B) {
	loose, _ := benchRepos(b)
	s := newSource(b, Config{URL: loose})
	fetch(b, s)
	file := filepath.Join(loose, "apps", "team-042", "app-042-007.yaml")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		benchCommits++ // unique across the runs the benchmark framework makes
		replicas := 2 + benchCommits
		if err := os.WriteFile(file, []byte(benchManifest("app-042-007", replicas)), 0o644); err != nil {
			b.Fatal(err)
		}
		testkit.Run(b, loose, "commit", "-q", "-am", "scale")
		b.StartTimer()
		fetch(b, s)
	}
}

// BenchmarkCommitToSnapshot measures, in the 10,000-file repo, the time from
// `git commit` returning to a watching Source holding the new commit: the
// fsnotify signal plus one Fetch, gitsync's share of commit-to-container.
func BenchmarkCommitToSnapshot(b *testing.B) {
	loose, _ := benchRepos(b)
	s := newSource(b, Config{URL: loose})
	fetch(b, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Watch(ctx)
	file := filepath.Join(loose, "apps", "team-007", "app-007-042.yaml")
	// Wait until the watch is set up: commit until a signal arrives.
	for ready := false; !ready; {
		benchCommits++
		if err := os.WriteFile(file, []byte(benchManifest("app-007-042", 2+benchCommits)), 0o644); err != nil {
			b.Fatal(err)
		}
		testkit.Run(b, loose, "commit", "-q", "-am", "warm up")
		select {
		case <-ch:
			ready = true
		case <-time.After(time.Second):
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		drain(ch)
		benchCommits++
		if err := os.WriteFile(file, []byte(benchManifest("app-007-042", 2+benchCommits)), 0o644); err != nil {
			b.Fatal(err)
		}
		testkit.Run(b, loose, "commit", "-q", "-am", "scale")
		want := testkit.Run(b, loose, "rev-parse", "HEAD")
		b.StartTimer()
		for {
			<-ch
			if fetch(b, s).Commit == want {
				break
			}
		}
	}
}
