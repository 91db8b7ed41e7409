package sources

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema"
)

func benchDeployment(i, replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%[1]d, namespace: bench, labels: {app: app-%[1]d}}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: app-%[1]d}}
  template:
    metadata: {labels: {app: app-%[1]d}}
    spec:
      containers:
      - name: web
        image: localhost/hello:v1
        ports: [{name: http, containerPort: 8080}]
        env: [{name: GREETING, value: "hello %[1]d"}]
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
`, i, replicas)
}

// benchRepo is a real git repository whose one commit holds 1,000
// Deployments (a file each) and their Namespace.
func benchRepo(b *testing.B) (*testkit.Repo, string) {
	repo := testkit.NewRepo(b)
	repo.Write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n")
	for i := range 1000 {
		repo.Write(fmt.Sprintf("apps/app-%04d.yaml", i), benchDeployment(i, 2))
	}
	return repo, repo.Commit("1,000 deployments")
}

// newBenchRunner is a fresh controller: Badger on disk, a validator with an
// empty cache, a source that has read nothing yet.
func newBenchRunner(b *testing.B, repoDir string) (*runner, *store.Store) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return newBenchRunnerOn(b, st, repoDir), st
}

// newBenchRunnerOn is newBenchRunner on a given store (bench_etcd_test.go).
func newBenchRunnerOn(b *testing.B, st *store.Store, repoDir string) *runner {
	v, err := schema.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(st, v, slog.New(slog.NewTextHandler(io.Discard, nil)), []Config{{Config: gitsync.Config{Name: "bench", URL: repoDir}, Prune: true}})
	if err != nil {
		b.Fatal(err)
	}
	return m.runners["bench"]
}

// BenchmarkCommitOf1000Deployments measures what the source loop does with
// a commit of 1,000 new Deployments on a fresh controller: read the tree
// from git, validate every file with CUE (cold cache), plan against the
// store and write all 1,001 objects with the source status and history in
// one Badger transaction (syncOnce, the loop's own step).
func BenchmarkCommitOf1000Deployments(b *testing.B) {
	repo, commit := benchRepo(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		r, st := newBenchRunner(b, repo.Dir)
		b.StartTimer()
		if err := r.syncOnce(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s, err := reconcile.GetSourceStatus(st, "bench")
		if err != nil || s.LastAppliedCommit != commit || s.Objects != 1001 {
			b.Fatalf("not applied: %+v %v", s, err)
		}
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkCommitChangingOneOf1000Deployments: the next commit changes one
// Deployment of the 1,000 (warm caches, the memoising planner).
func BenchmarkCommitChangingOneOf1000Deployments(b *testing.B) {
	repo, _ := benchRepo(b)
	ctx := context.Background()
	r, st := newBenchRunner(b, repo.Dir)
	defer st.Close()
	if err := r.syncOnce(ctx); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		repo.Write("apps/app-0007.yaml", benchDeployment(7, 3+n))
		commit := repo.Commit(fmt.Sprint("scale app-7 to ", 3+n))
		b.StartTimer()
		if err := r.syncOnce(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if s, _ := reconcile.GetSourceStatus(st, "bench"); s.LastAppliedCommit != commit {
			b.Fatalf("not applied: %+v", s)
		}
		b.StartTimer()
	}
}
