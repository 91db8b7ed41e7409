package main

import (
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

const e2eNamespace = `apiVersion: v1
kind: Namespace
metadata:
  name: e2e
`

func deployment(replicas int, image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: hello
          image: %s
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 8080
          env:
            - name: GREETING
              valueFrom:
                configMapKeyRef: {name: web-config, key: greeting}
`, replicas, image)
}

const webConfig = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: e2e
data:
  greeting: hi
`

func baseFiles(replicas int, image string) map[string]string {
	return map[string]string{
		"namespace.yaml": e2eNamespace,
		"config.yaml":    webConfig,
		"web.yaml":       deployment(replicas, image),
	}
}

// waitRunning waits until exactly n pods of e2e run with image, and every
// managed Podman container is one of theirs.
func (c *cluster) waitRunning(n int, image string) []corev1.Pod {
	c.t.Helper()
	var pods []corev1.Pod
	c.eventually(30*time.Second, fmt.Sprintf("%d running pods of %s", n, image), func() error {
		all := c.pods("e2e")
		pods = runningPods(all)
		if len(all) != n || len(pods) != n {
			return fmt.Errorf("%d pods, %d running: %s", len(all), len(pods), summary(all))
		}
		for _, p := range pods {
			if p.Spec.Containers[0].Image != image || p.Status.ContainerStatuses[0].Image != image {
				return fmt.Errorf("pod %s runs %s, want %s", p.Name, p.Status.ContainerStatuses[0].Image, image)
			}
		}
		if ps := psContainers(c.t); len(ps) != n {
			return fmt.Errorf("podman runs %d managed containers, want %d", len(ps), n)
		}
		return nil
	})
	return pods
}

func summary(pods []corev1.Pod) string {
	var s []string
	for _, p := range pods {
		s = append(s, p.Name+"="+string(p.Status.Phase)+"@"+p.Spec.NodeName)
	}
	return strings.Join(s, " ")
}

func containerIDs(pods []corev1.Pod) []string {
	var ids []string
	for _, p := range pods {
		for _, s := range p.Status.ContainerStatuses {
			ids = append(ids, s.ContainerID)
		}
	}
	sort.Strings(ids)
	return ids
}

// (a) a committed 2-replica Deployment becomes 2 running containers with the
// contract's labels, and the IDs the API reports are Podman's.
func TestE2EDeploymentRuns(t *testing.T) {
	c := newCluster(t, baseFiles(2, "localhost/reconcile-hello:v1"))
	pods := c.waitRunning(2, "localhost/reconcile-hello:v1")
	ps := psContainers(t)
	for _, p := range pods {
		id := p.Status.ContainerStatuses[0].ContainerID
		labels, ok := ps[id]
		if !ok {
			t.Fatalf("pod %s reports container %s, podman ps has %v", p.Name, id, ps)
		}
		for _, want := range []string{"reconcile.pod:e2e/" + p.Name, "reconcile.uid:" + string(p.UID), "reconcile.container:hello"} {
			if !strings.Contains(labels, want) {
				t.Errorf("container %s labels %s lack %s", id, labels, want)
			}
		}
	}
	// The Podman pod carries the labels too, so operators can find it.
	out, err := podmanCmd("pod", "ps", "--filter", "label=reconcile.pod=e2e/"+pods[0].Name, "--format", "{{.Name}}")
	if err != nil || strings.TrimSpace(out) == "" {
		t.Fatalf("no podman pod labelled reconcile.pod=e2e/%s: %v %q", pods[0].Name, err, out)
	}
}

// (b) replicas 3 then 1: the containers follow; (c) v1 → v2 replaces every
// pod; (e) deleting the manifest removes the pods.
func TestE2EScaleUpdateDelete(t *testing.T) {
	c := newCluster(t, baseFiles(2, "localhost/reconcile-hello:v1"))
	c.waitRunning(2, "localhost/reconcile-hello:v1")

	c.commit("scale to 3", map[string]string{"web.yaml": deployment(3, "localhost/reconcile-hello:v1")})
	c.waitRunning(3, "localhost/reconcile-hello:v1")
	c.commit("scale to 1", map[string]string{"web.yaml": deployment(1, "localhost/reconcile-hello:v1")})
	before := c.waitRunning(1, "localhost/reconcile-hello:v1")

	c.commit("scale to 2", map[string]string{"web.yaml": deployment(2, "localhost/reconcile-hello:v1")})
	v1 := c.waitRunning(2, "localhost/reconcile-hello:v1")
	c.commit("v2", map[string]string{"web.yaml": deployment(2, "localhost/reconcile-hello:v2")})
	v2 := c.waitRunning(2, "localhost/reconcile-hello:v2")
	old := map[string]bool{before[0].Name: true}
	for _, p := range v1 {
		old[p.Name] = true
	}
	for _, p := range v2 {
		if old[p.Name] {
			t.Errorf("pod %s survived the image change; every pod must be replaced", p.Name)
		}
	}

	c.commit("delete web", map[string]string{"web.yaml": ""})
	c.eventually(30*time.Second, "pods removed", func() error {
		if n := len(c.pods("e2e")); n != 0 {
			return fmt.Errorf("%d pods left", n)
		}
		if ps := psContainers(t); len(ps) != 0 {
			return fmt.Errorf("podman still runs %d managed containers", len(ps))
		}
		return nil
	})
}

// (d) an invalid commit changes nothing and `status` names file:line:col;
// the fix then applies.
func TestE2EInvalidCommitKeepsLastGood(t *testing.T) {
	c := newCluster(t, baseFiles(1, "localhost/reconcile-hello:v1"))
	running := c.waitRunning(1, "localhost/reconcile-hello:v1")

	bad := strings.Replace(deployment(2, "localhost/reconcile-hello:v2"), "replicas: 2", "replicas: -2", 1)
	badCommit := c.commit("broken", map[string]string{"web.yaml": bad})
	c.eventually(20*time.Second, "status shows the error", func() error {
		out, err := c.run("status")
		if err != nil {
			return err
		}
		if !strings.Contains(out, badCommit[:12]) || !strings.Contains(out, "web.yaml:7:") {
			return fmt.Errorf("status lacks the bad commit and web.yaml:7:col:\n%s", out)
		}
		return nil
	})
	// Nothing changed: the same pod with the same container still runs v1.
	again := c.waitRunning(1, "localhost/reconcile-hello:v1")
	if again[0].Name != running[0].Name || containerIDs(again)[0] != containerIDs(running)[0] {
		t.Fatalf("an invalid commit changed the running pods: %v → %v", running[0].Name, again[0].Name)
	}
	c.commit("fixed", map[string]string{"web.yaml": deployment(2, "localhost/reconcile-hello:v2")})
	c.waitRunning(2, "localhost/reconcile-hello:v2")
	out, _ := c.run("status")
	if strings.Contains(out, "web.yaml:7:") {
		t.Fatalf("status still shows the fixed error:\n%s", out)
	}
	if !strings.Contains(out, "store: badger (single server)") { // the control plane block (servers.go)
		t.Fatalf("status lacks the store:\n%s", out)
	}
}

// (f) kill -9 the agent and start it again: the same containers keep running.
// The controller and the agent run as separate processes here, as on
// several hosts.
func TestE2EAgentRestartAdoptsContainers(t *testing.T) {
	c := newSplitCluster(t, baseFiles(2, "localhost/reconcile-hello:v1"))
	running := c.waitRunning(2, "localhost/reconcile-hello:v1")
	before := containerIDs(running)
	// `reconcile logs` across processes: the controller calls the agent's
	// TLS log server with its own certificate, the agent serves its node's.
	c.eventually(20*time.Second, "logs of a pod through the agent's TLS log server", func() error {
		out, err := c.run("logs", running[0].Name, "-n", "e2e")
		if err == nil && !strings.Contains(out, "hello v1 listening") {
			err = fmt.Errorf("log %q lacks the start line", out)
		}
		return err
	})
	c.logServerRefusesAllButTheController("e2e-node")

	agent := c.procs["agent"]
	if err := agent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	agent.Wait()
	c.startAgent()
	// Let the new agent observe and report; the IDs must not change.
	c.eventually(20*time.Second, "restarted agent reports", func() error {
		out, err := c.run("get", "nodes", "-o", "json")
		if err != nil {
			return err
		}
		if !strings.Contains(out, `"Ready"`) {
			return fmt.Errorf("node not ready: %s", out)
		}
		return nil
	})
	after := containerIDs(c.waitRunning(2, "localhost/reconcile-hello:v1"))
	if strings.Join(before, ",") != strings.Join(after, ",") {
		t.Fatalf("containers were recreated after an agent restart:\nbefore %v\nafter  %v", before, after)
	}
	// And the adopted pods are still managed: scaling down removes one.
	c.commit("scale to 1", map[string]string{"web.yaml": deployment(1, "localhost/reconcile-hello:v1")})
	c.waitRunning(1, "localhost/reconcile-hello:v1")
}

// (g) offline diff between two commits of a real repo: text, markdown and
// json output, and exit codes 0 / 2 / 1.
func TestE2EDiffBaseHead(t *testing.T) {
	needE2EBinary(t)
	repo := t.TempDir()
	testkit.Run(t, repo, "init", "-q", "-b", "main")
	c := &cluster{t: t, repo: repo}
	base := c.commit("base", baseFiles(2, "localhost/reconcile-hello:v1"))
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: e2e}\nstringData: {password: canary-s3cr3t}\n"
	head := c.commit("head", map[string]string{"web.yaml": deployment(3, "localhost/reconcile-hello:v2"), "config.yaml": "", "secret.yaml": secret})

	out, err := runBin("diff", "--repo", repo, "--base", base, "--head", head)
	if err != nil {
		t.Fatalf("diff without --exit-code must exit 0: %v", err)
	}
	for _, want := range []string{"Deployment/e2e/web", "spec.replicas", "2 → 3", "reconcile-hello:v2", "ConfigMap/e2e/web-config", "Secret/e2e/creds"} {
		if !strings.Contains(out, want) {
			t.Errorf("text diff lacks %q:\n%s", want, out)
		}
	}
	for _, format := range []string{"text", "markdown", "json"} {
		out, _ := runBin("diff", "--repo", repo, "--base", base, "--head", head, "-o", format)
		if strings.Contains(out, "canary-s3cr3t") {
			t.Errorf("%s diff shows a secret value:\n%s", format, out)
		}
	}
	md, _ := runBin("diff", "--repo", repo, "--base", base, "--head", head, "-o", "markdown")
	if !strings.Contains(md, "<details>") || !strings.Contains(md, "| Deployment |") {
		t.Errorf("markdown diff is not a PR comment body:\n%s", md)
	}

	_, err = runBin("diff", "--repo", repo, "--base", base, "--head", head, "--exit-code")
	if code := exitCode(err); code != 2 {
		t.Errorf("diff --exit-code with changes: exit %d, want 2 (%v)", code, err)
	}
	_, err = runBin("diff", "--repo", repo, "--base", head, "--head", head, "--exit-code")
	if code := exitCode(err); code != 0 {
		t.Errorf("diff --exit-code without changes: exit %d, want 0 (%v)", code, err)
	}
	_, err = runBin("diff", "--repo", repo, "--base", "no-such-ref", "--head", head, "--exit-code")
	if code := exitCode(err); code != 1 {
		t.Errorf("diff with a bad ref: exit %d, want 1 (%v)", code, err)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
