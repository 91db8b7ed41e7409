package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stream is a long-running command whose output lines a test reads while
// it runs (kubectl logs -f, get -w).
type stream struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	mu     sync.Mutex
	out    strings.Builder
}

func startStream(t *testing.T, name string, args ...string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{cmd: exec.CommandContext(ctx, name, args...), cancel: cancel}
	pipe, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *stream) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func (s *stream) stop() {
	s.cancel()
	s.cmd.Wait()
}

// TestE2EKubectl: Debian's kubectl (package kubernetes-client) reads a
// running cluster through the read-only Kubernetes API with the kubeconfig
// `reconcile kubeconfig` prints: get -A, -o yaml, describe, logs -f, events,
// get -w seeing a commit's new pod, and apply refused with the git file and
// line; and the CLI's own get -w and -l.
func TestE2EKubectl(t *testing.T) {
	// $KUBECTL picks another kubectl (another version) than the one on PATH.
	kubectl, err := exec.LookPath(cmp.Or(os.Getenv("KUBECTL"), "kubectl"))
	if err != nil {
		t.Skip("kubectl is not installed (make setup installs Debian's kubernetes-client)")
	}
	// The Deployment is the second document of app.yaml: the 405 must name
	// its line, not the file's first.
	app := func(replicas int) string {
		return webConfig + "---\n" + deployment(replicas, "localhost/reconcile-hello:v1")
	}
	deployLine := strings.Count(webConfig, "\n") + 2
	c := newCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "app.yaml": app(1)})
	pods := c.waitRunning(1, "localhost/reconcile-hello:v1")
	first := pods[0].Name

	kc, err := c.run("kubeconfig")
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	k := func(args ...string) (string, error) {
		out, err := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
		return string(out), err
	}
	expect := func(what string, args []string, wants ...string) {
		t.Helper()
		c.eventually(60*time.Second, what, func() error {
			out, err := k(args...)
			if err != nil {
				return fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, out)
			}
			for _, w := range wants {
				if !strings.Contains(out, w) {
					return fmt.Errorf("kubectl %s lacks %q:\n%s", strings.Join(args, " "), w, out)
				}
			}
			return nil
		})
	}
	expect("kubectl get pods -A", []string{"get", "pods", "-A"}, "NAMESPACE", "e2e", first, "Running")
	expect("kubectl get deploy -o yaml", []string{"get", "deploy", "-n", "e2e", "-o", "yaml"}, "kind: Deployment", "name: web", "reconcile.dev/source-path: app.yaml")
	expect("kubectl describe pod", []string{"describe", "pod", "-n", "e2e", first}, "Node:", "e2e-node", "Events:", "Scheduled")
	expect("kubectl describe deployment", []string{"describe", "deployment", "-n", "e2e", "web"}, "Replicas:", "1 desired", "NewReplicaSet:")
	expect("kubectl get events", []string{"get", "events", "-n", "e2e"}, "Scheduled", "pod/"+first)

	t.Run("logs -f", func(t *testing.T) {
		logs := startStream(t, kubectl, "--kubeconfig", kubeconfig, "logs", "-f", "-n", "e2e", first)
		c.eventually(60*time.Second, "kubectl logs -f prints the container's line", func() error {
			if !strings.Contains(logs.text(), "hello v1 listening") {
				return fmt.Errorf("logs so far: %q", logs.text())
			}
			return nil
		})
		logs.stop()
	})

	t.Run("apply refused with file and line", func(t *testing.T) {
		manifest := filepath.Join(t.TempDir(), "app.yaml")
		os.WriteFile(manifest, []byte(app(5)), 0o644)
		out, err := k("apply", "-f", manifest)
		want := fmt.Sprintf("change app.yaml:%d in source", deployLine)
		if err == nil || !strings.Contains(out, "MethodNotAllowed") || !strings.Contains(out, want) {
			t.Errorf("kubectl apply: %v\n%s\nwant a MethodNotAllowed naming %q", err, out, want)
		}
	})

	// Both watches, then one commit: each prints the new pod.
	kw := startStream(t, kubectl, "--kubeconfig", kubeconfig, "get", "pods", "-n", "e2e", "-w")
	rw := startStream(t, env.bin, "get", "pods", "-n", "e2e", "-w", "--config-file", c.adminConfig(), "--server", c.server)
	for _, s := range []*stream{kw, rw} {
		c.eventually(60*time.Second, "the watch's table", func() error {
			if !strings.Contains(s.text(), first) {
				return fmt.Errorf("watch output so far: %q", s.text())
			}
			return nil
		})
	}
	c.commit("two replicas", map[string]string{"app.yaml": app(2)})
	var second string
	c.eventually(120*time.Second, "a second pod", func() error {
		for _, p := range c.pods("e2e") {
			if p.Name != first {
				second = p.Name
				return nil
			}
		}
		return fmt.Errorf("one pod still")
	})
	for name, s := range map[string]*stream{"kubectl get pods -w": kw, "reconcile get pods -w": rw} {
		c.eventually(60*time.Second, name+" shows the commit's new pod", func() error {
			if !strings.Contains(s.text(), second) {
				return fmt.Errorf("output so far:\n%s", s.text())
			}
			return nil
		})
	}

	// The CLI's label selectors.
	out, err := c.run("get", "pods", "-n", "e2e", "-l", "app=web")
	if err != nil || !strings.Contains(out, first) || !strings.Contains(out, second) {
		t.Errorf("get -l app=web: %v\n%s", err, out)
	}
	out, err = c.run("get", "pods", "-n", "e2e", "-l", "app=web,app!=web")
	if err != nil || strings.Contains(out, first) {
		t.Errorf("get -l selecting nothing: %v\n%s", err, out)
	}
}
