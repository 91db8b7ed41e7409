package reconcile

import (
	"fmt"
	"slices"
	"testing"

	"github.com/reconcile-dev/reconcile/schema"
)

// repoFile is file i of a generated 10,000-manifest repository
// (Deployments, Services and ConfigMaps in turn); rev changes its content.
func repoFile(i, rev int) schema.File {
	var src string
	switch i % 3 {
	case 0:
		src = fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%[1]d, labels: {app: app-%[1]d}}
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
        env: [{name: GREETING, valueFrom: {configMapKeyRef: {name: cfg-%[1]d, key: greeting}}}]
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
`, i, 2+rev)
	case 1:
		src = fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: svc-%[1]d}
spec:
  selector: {app: app-%[1]d}
  ports: [{name: http, port: %[2]d, targetPort: http}]
`, i, 80+rev)
	default:
		src = fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: cfg-%[1]d}
data: {greeting: "hello %[1]d, revision %[2]d"}
`, i, rev)
	}
	return schema.File{Path: fmt.Sprintf("apps/%05d.yaml", i), Data: []byte(src)}
}

// repo is the validated repository, shared by the runs of the benchmark
// (cold validation of 10,000 files takes seconds).
var repo struct {
	v     *schema.Validator
	files []schema.File
	rev   int
}

func desiredOf(res schema.Result) []Desired {
	out := make([]Desired, len(res.Manifests))
	for i, m := range res.Manifests {
		out[i] = Desired{Object: m.Object, Path: m.Path}
	}
	return out
}

// BenchmarkCommitOneChange10k is the whole path of a commit that edits one
// file of a 10,000-manifest repository, as the source loop runs it:
// re-validate (the schema cache evaluates the one changed file) and apply
// with a long-lived Applier on an on-disk store. Fetching from git is not
// included. Target: 50 ms.
func BenchmarkCommitOneChange10k(b *testing.B) { benchCommitOneChange(b, nil) }

// BenchmarkCommitOneChange10kQuota is BenchmarkCommitOneChange10k with a
// ResourceQuota and a LimitRange in the namespace of the 10,000 objects:
// every commit charges all of them (reconcile/quota.go).
func BenchmarkCommitOneChange10kQuota(b *testing.B) {
	benchCommitOneChange(b, []schema.File{{Path: "policy-objects/quota.yaml", Data: []byte(`apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec:
  hard: {requests.cpu: "10000", requests.memory: 10Ti, limits.memory: 20Ti, pods: "100000", services: "10000", configmaps: "10000", count/deployments.apps: "10000"}
`)}, {Path: "policy-objects/limits.yaml", Data: []byte(`apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits: [{type: Container, defaultRequest: {cpu: 100m}, max: {memory: 1Gi}}]
`)}})
}

// benchCommitOneChange runs the benchmark on the repository with extra
// files in place of its last ones (the commit stays at 10,000 objects).
func benchCommitOneChange(b *testing.B, extra []schema.File) {
	if repo.v == nil {
		v, err := schema.NewValidator()
		if err != nil {
			b.Fatal(err)
		}
		repo.v = v
		for i := 0; i < 10000; i++ {
			repo.files = append(repo.files, repoFile(i, 0))
		}
	}
	n := len(repo.files) - len(extra) // the files a commit holds besides extra
	res := repo.v.Validate(append(slices.Clone(repo.files[:n]), extra...))
	if !res.OK() {
		b.Fatal(res)
	}
	st := openStore(b)
	a := NewApplier(st)
	for range 2 { // create, then decode the stored objects into the cache once
		if _, err := a.Apply(src, commit("A"), desiredOf(res), nil, ApplyOptions{Prune: true}); err != nil {
			b.Fatal(err)
		}
	}
	var cpu cpuMeter
	b.ResetTimer()
	cpu.start()
	for i := 0; i < b.N; i++ {
		repo.rev++
		files := append([]schema.File(nil), repo.files...)
		j := (i * 7919) % n
		files[j] = repoFile(j, repo.rev)
		res := repo.v.Validate(append(slices.Clone(files[:n]), extra...))
		out, err := a.Apply(src, commit("B"), desiredOf(res), nil, ApplyOptions{Prune: true})
		if err != nil || !res.OK() || out.Updated != 1 || out.Unchanged != 9999 {
			b.Fatal(err, res, out.Created, out.Updated, out.Deleted, out.Unchanged)
		}
		repo.files = files
	}
	cpu.stop()
	cpu.report(b)
}
