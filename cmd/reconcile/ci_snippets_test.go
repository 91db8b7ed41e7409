package main

// The CI snippets in examples/ci run as written (their shell steps, with the
// real binary, on a real pull-request-like clone): GitHub's plan step writes
// the comment body, GitLab's job posts it to the merge request's notes API
// (a local stand-in server). Only the tool installation is skipped.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// prClone makes an origin repo whose main has one Deployment and a policy,
// and a clone checked out on a branch that changes it with change.
func prClone(t *testing.T, change string) string {
	origin := testkit.NewRepo(t)
	origin.Write("deploy/policy/images.cue", "Deployment: spec: template: spec: containers: [...{image: =~\"^localhost/\"}]\n")
	origin.Write("deploy/web.yaml", strings.Replace(deployment(1, "localhost/reconcile-hello:v1"), "namespace: e2e", "namespace: default", 1))
	origin.Write("README", "app\n")
	origin.Commit("base")
	clone := t.TempDir()
	testkit.Run(t, clone, "clone", "-q", origin.Dir, ".")
	testkit.Run(t, clone, "checkout", "-q", "-b", "feature")
	os.WriteFile(filepath.Join(clone, "deploy/web.yaml"), []byte(strings.Replace(deployment(3, change), "namespace: e2e", "namespace: default", 1)), 0o644)
	testkit.Run(t, clone, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-am", "change")
	return clone
}

func ciShell(t *testing.T, dir, script string, vars ...string) (int, string) {
	cmd := exec.Command("bash", "-c", "set -e\n"+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(vars, "PATH="+filepath.Dir(env.bin)+":"+os.Getenv("PATH"))...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestCIGitHubActionsSnippet(t *testing.T) {
	needE2EBinary(t)
	var wf struct {
		Env  map[string]string
		Jobs map[string]struct {
			Steps []struct{ Name, Run string }
		}
	}
	b, err := os.ReadFile("../../examples/ci/github-actions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("github-actions.yaml: %v", err)
	}
	var script string
	for _, s := range wf.Jobs["plan"].Steps {
		if s.Name == "Plan" {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("no Plan step")
	}
	for _, tc := range []struct {
		name, image, code, want string
	}{
		{"a change", "localhost/reconcile-hello:v2", "2", "| Deployment | 0 | 1 | 0 |"},
		{"a policy violation", "docker.io/hello:v2", "1", "web.yaml:16:18: spec.template.spec.containers[0].image: policy:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clone := prClone(t, tc.image)
			out := filepath.Join(t.TempDir(), "github-output")
			code, log := ciShell(t, clone, script, "GITHUB_BASE_REF=main", "GITHUB_OUTPUT="+out, "MANIFESTS="+wf.Env["MANIFESTS"])
			if code != 0 {
				t.Fatalf("Plan step failed (%d): %s", code, log)
			}
			o, _ := os.ReadFile(out)
			if strings.TrimSpace(string(o)) != "code="+tc.code {
				t.Fatalf("step output %q, want code=%s", o, tc.code)
			}
			body, _ := os.ReadFile(filepath.Join(clone, "plan.md"))
			if !strings.Contains(string(body), tc.want) || !strings.HasPrefix(string(body), "### reconcile plan") {
				t.Fatalf("comment body lacks %q:\n%s", tc.want, body)
			}
			if tc.code == "1" && !strings.Contains(string(body), "policy: invalid value \"docker.io/hello:v2\"") {
				t.Fatalf("the violation is not in the comment:\n%s", body)
			}
		})
	}
}

func TestCIGitLabSnippet(t *testing.T) {
	needE2EBinary(t)
	var ci map[string]struct {
		Variables map[string]string
		Script    []string
	}
	b, err := os.ReadFile("../../examples/ci/gitlab-ci.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &ci); err != nil {
		t.Fatalf("gitlab-ci.yaml: %v", err)
	}
	job := ci["reconcile-plan"]
	if len(job.Script) != 3 || !strings.HasPrefix(job.Script[0], "go install") {
		t.Fatalf("unexpected script: %q", job.Script)
	}
	var notes []string
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/api/v4/projects/7/merge_requests/3/notes" {
			http.Error(w, "wrong endpoint "+r.URL.Path, 404)
			return
		}
		auth = r.Header.Get("PRIVATE-TOKEN")
		b, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(b))
		notes = append(notes, v.Get("body"))
		w.WriteHeader(201)
	}))
	defer srv.Close()
	clone := prClone(t, "localhost/reconcile-hello:v2")
	// The runner has the target branch as origin/<branch>; the job's own
	// fetch runs against the clone's origin.
	code, log := ciShell(t, clone, job.Script[1]+"\n"+job.Script[2],
		"CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main", "MANIFESTS="+job.Variables["MANIFESTS"],
		"RECONCILE_NOTE_TOKEN=tok", "CI_API_V4_URL="+srv.URL+"/api/v4", "CI_PROJECT_ID=7", "CI_MERGE_REQUEST_IID=3")
	if code != 0 {
		t.Fatalf("job failed (%d): %s", code, log)
	}
	if len(notes) != 1 || auth != "tok" || !strings.Contains(notes[0], "| Deployment | 0 | 1 | 0 |") {
		t.Fatalf("notes %q (token %q)", notes, auth)
	}
}
