package sources

import (
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func limitedDeployment(image string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ` + image + `
          resources: {limits: {cpu: 100m, memory: 32Mi}}
`
}

// A commit that breaks the repository's policy/*.cue is refused at the
// manifest's file:line:col, and the last good commit keeps running.
func TestPolicyViolationBlocksTheCommit(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("policy/images.cue", "Deployment: spec: template: spec: containers: [...{image: =~\"^localhost/\"}]\n")
	repo.Write("web.yaml", limitedDeployment("localhost/web:v1"))
	c1 := repo.Commit("policy and a deployment that keeps it")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}, Prune: true})
	h.run()
	h.waitStatus("apps", "good commit applied", func(s Status) bool { return s.LastAppliedCommit == c1 })

	repo.Write("web.yaml", limitedDeployment("docker.io/web:v2"))
	c2 := repo.Commit("an image from elsewhere")
	st := h.waitStatus("apps", "violating commit refused", func(s Status) bool { return s.LastAttemptedCommit == c2 && len(s.Errors) > 0 })
	if st.LastAppliedCommit != c1 {
		t.Fatalf("last applied %s, want %s", st.LastAppliedCommit, c1)
	}
	want := "web.yaml:11:18: spec.template.spec.containers[0].image: policy: invalid value \"docker.io/web:v2\""
	if !strings.HasPrefix(st.Errors[0], want) {
		t.Fatalf("error = %q, want prefix %q", st.Errors[0], want)
	}
}
