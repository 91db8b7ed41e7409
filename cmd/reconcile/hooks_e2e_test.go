package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// hookCluster is a `reconcile controller --config` whose one source is a
// repository served over HTTP by git http-backend, polled once an hour: only
// a webhook makes it fetch a push.
type hookCluster struct {
	*cluster
	work   *testkit.Repo // the developer's clone that pushes
	remote string        // the HTTP URL of the served repository
	secret string
}

func newHookCluster(t testing.TB, extraConfig string, initial map[string]string) *hookCluster {
	return startHookCluster(t, extraConfig, initial, false)
}

// startHookCluster runs `reconcile controller`, or with withAgent `reconcile
// up` with a local agent on the test's Podman.
func startHookCluster(t testing.TB, extraConfig string, initial map[string]string, withAgent bool) *hookCluster {
	if withAgent {
		needE2E(t)
	} else {
		needE2EBinary(t)
	}
	root := t.TempDir()
	testkit.NewBareRepo(t, root, "desired.git")
	srv := testkit.HTTPServer(t, root, "")
	h := &hookCluster{work: testkit.NewRepo(t), remote: srv.URL + "/desired.git", secret: "hook-s3cret"}
	for name, content := range initial {
		h.work.Write(name, content)
	}
	h.work.Commit("initial")
	h.work.Git("push", "-q", h.remote, "main")

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hook-secret"), []byte(h.secret+"\n"), 0o600)
	cfg := filepath.Join(dir, "controller.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`sources:
  - name: apps
    url: %s
    ref: main
    pollInterval: 1h
    webhook: {secretFile: hook-secret}
%s`, h.remote, extraConfig)), 0o644)

	h.cluster = &cluster{t: t, data: t.TempDir(), log: &bytes.Buffer{}, procs: map[string]*exec.Cmd{}}
	h.server = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	t.Cleanup(func() {
		h.stop()
		if withAgent {
			cleanupNodeRules(t)
		}
		if t.Failed() {
			t.Logf("controller log:\n%s", h.logs())
		}
	})
	if withAgent {
		t.Cleanup(cleanupPodman)
		h.startProc("up", "up", "--config", cfg, "--data", h.data, "--listen", h.server, "--podman", env.sock, "--node", "e2e-node",
			"--pod-network", "") // Podman's default network: no subnet to collide with tests running at the same time
	} else {
		h.startProc("controller", "controller", "--config", cfg, "--data", h.data, "--listen", h.server)
	}
	h.waitServer()
	return h
}

// push commits files in the developer's clone and pushes them.
func (h *hookCluster) push(msg string, files map[string]string, gitArgs ...string) string {
	for name, content := range files {
		h.work.Write(name, content)
	}
	c := h.work.Commit(msg, gitArgs...)
	h.work.Git("push", "-q", h.remote, "main")
	return c
}

// hook posts a GitHub-style push event signed with secret.
func (h *hookCluster) hook(secret string) int {
	body := []byte(`{"ref":"refs/heads/main"}`)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	req, _ := http.NewRequest("POST", h.url("/hooks/apps"), bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("X-GitHub-Event", "push")
	resp, err := h.httpClient().Do(req) // a git host: the cluster CA, no client certificate, no token
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *hookCluster) status() sources.Status {
	h.t.Helper()
	out, err := h.run("status", "-o", "json")
	if err != nil {
		h.t.Fatal(err)
	}
	var rep apitypes.StatusReport
	err = json.Unmarshal([]byte(out), &rep)
	sts := rep.Sources
	if err != nil || len(sts) != 1 {
		h.t.Fatalf("status -o json: %v\n%s", err, out)
	}
	return sts[0]
}

func (h *hookCluster) configMapValue(ns, name string) string {
	out, err := h.run("get", "configmaps", "-n", ns, "-o", "json")
	if err != nil {
		return ""
	}
	var l struct{ Items []corev1.ConfigMap }
	json.Unmarshal([]byte(out), &l)
	for _, cm := range l.Items {
		if cm.Name == name {
			return cm.Data["value"]
		}
	}
	return ""
}

func cmYAML(name, value string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  value: " + value + "\n"
}

func TestE2EPushWebhookFetchApply(t *testing.T) {
	h := newHookCluster(t, "", map[string]string{"cm.yaml": cmYAML("app", "one")})
	h.eventually(30*time.Second, "initial commit applied", func() error {
		if v := h.configMapValue("default", "app"); v != "one" {
			return fmt.Errorf("ConfigMap value %q", v)
		}
		return nil
	})

	// A hook with a wrong signature is refused.
	if code := h.hook("guess"); code != http.StatusUnauthorized {
		t.Fatalf("hook with a wrong signature: %d, want 401", code)
	}
	// Push, then the signed hook: the hour-long poll interval means only
	// the hook can bring the commit in.
	c2 := h.push("two", map[string]string{"cm.yaml": cmYAML("app", "two")})
	if code := h.hook(h.secret); code != http.StatusAccepted {
		t.Fatalf("signed hook: %d, want 202", code)
	}
	h.eventually(30*time.Second, "pushed commit applied through the webhook", func() error {
		if s := h.status(); s.LastAppliedCommit != c2 {
			return fmt.Errorf("applied %s, want %s", s.LastAppliedCommit, c2)
		}
		if v := h.configMapValue("default", "app"); v != "two" {
			return fmt.Errorf("ConfigMap value %q", v)
		}
		return nil
	})
	s := h.status()
	if s.LastAppliedMessage != "two" || s.LastAppliedAuthor != "Ada <ada@example.com>" || s.NextPollAt.IsZero() || !s.Webhook || s.Pinned {
		t.Errorf("status: %+v", s)
	}
	text, err := h.run("status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"source apps", "pinned:    no", "applied:   " + c2[:12] + ` "two" — Ada <ada@example.com>`, "next poll", "and on POST /hooks/apps"} {
		if !strings.Contains(text, want) {
			t.Errorf("reconcile status lacks %q:\n%s", want, text)
		}
	}
}

func TestE2EUnsignedPushIsRefused(t *testing.T) {
	testkit.NeedSSHKeygen(t)
	key := testkit.NewSSHKey(t, "ada@example.com")
	verify := fmt.Sprintf("    namespace: team\n    verify: {mode: head, sshAllowedSigners: %s}\n", key.AllowedSignersFile)
	h := newHookCluster(t, verify, nil)
	good := h.push("signed", map[string]string{"cm.yaml": cmYAML("app", "signed")}, key.SignArgs()...)
	h.hook(h.secret)
	h.eventually(30*time.Second, "signed commit applied", func() error {
		if v := h.configMapValue("team", "app"); v != "signed" {
			return fmt.Errorf("ConfigMap team/app value %q", v)
		}
		return nil
	})
	bad := h.push("unsigned", map[string]string{"cm.yaml": cmYAML("app", "evil")})
	h.hook(h.secret)
	h.eventually(30*time.Second, "unsigned commit refused", func() error {
		s := h.status()
		if s.LastAttemptedCommit != bad {
			return fmt.Errorf("last attempted %s, want %s", s.LastAttemptedCommit, bad)
		}
		if s.LastAppliedCommit != good || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "not signed") {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
	if v := h.configMapValue("team", "app"); v != "signed" {
		t.Errorf("the refused commit changed the ConfigMap: %q", v)
	}
	text, _ := h.run("status")
	for _, want := range []string{"verify:    head", "signed by ada@example.com", "attempted: " + bad[:12], "the commit is not signed"} {
		if !strings.Contains(text, want) {
			t.Errorf("reconcile status lacks %q:\n%s", want, text)
		}
	}
}
