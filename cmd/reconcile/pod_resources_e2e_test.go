package main

// End to end: pod-level resources become the Podman pod's cgroup limits,
// which hold the pod's containers that set no limits of their own.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// podCgroupFile reads a file of the Podman pod's cgroup in a cgroup v1
// controller (this host mounts v1 hierarchies).
func podCgroupFile(t *testing.T, podmanPod, controller, file string) (string, error) {
	path, err := podmanCmd("pod", "inspect", podmanPod, "--format", "{{.CgroupPath}}")
	if err != nil {
		return "", err
	}
	path = strings.TrimSpace(path)
	if path == "" {
		return "", fmt.Errorf("pod %s has no cgroup path", podmanPod)
	}
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, path, file))
	return strings.TrimSpace(string(b)), err
}

// podmanPodOf finds the Podman pod of a pod by its reconcile.pod label.
func podmanPodOf(name string) (string, error) {
	out, err := podmanCmd("pod", "ps", "-q", "--no-trunc", "--filter", "label=reconcile.pod=e2e/"+name)
	if err != nil {
		return "", err
	}
	if id := strings.TrimSpace(out); id != "" && !strings.Contains(id, "\n") {
		return id, nil
	}
	return "", fmt.Errorf("no single Podman pod for e2e/%s: %q", name, out)
}

func TestE2EPodLevelResources(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		t.Skip("reads cgroup v1 files (/sys/fs/cgroup/memory); this host has none")
	}
	c := newCluster(t, map[string]string{"namespace.yaml": e2eNamespace,
		"limited.yaml": helloPod("limited", "", "", "  resources: {requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}\n"),
		"hog.yaml":     helloPod("hog", `{name: ALLOC_MB, value: "256"}`, "", "  restartPolicy: Never\n  resources: {limits: {memory: 32Mi}}\n"),
	})
	c.waitRunningPod("limited")
	id, err := podmanPodOf("limited")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ controller, file, want string }{
		{"memory", "memory.limit_in_bytes", fmt.Sprint(64 << 20)},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.shares", "256"},
	} {
		got, err := podCgroupFile(t, id, f.controller, f.file)
		if err != nil || got != f.want {
			t.Errorf("pod cgroup %s/%s = %q (%v), want %s", f.controller, f.file, got, err, f.want)
		}
	}

	// A container without limits of its own is held by the pod's: 256 MiB
	// do not fit in the pod's 32 MiB.
	err = testkit.Poll(2*time.Minute, func() error {
		p, _ := c.pod("hog")
		term := containerStatus(p).State.Terminated
		if term == nil || term.Reason != "OOMKilled" {
			return fmt.Errorf("state %+v", containerStatus(p).State)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the hog is OOM-killed by the pod's memory limit: %v\nPodman's view: %s\nreconcile up log (tail):\n%s",
			err, podmanViewOf("hog"), tail(c.logs(), 40))
	}
}

// podmanViewOf says what Podman holds for a pod (its containers' states
// and the pod cgroup's memory limit), for a failure's message: whether the
// agent missed a change or Podman never saw one.
func podmanViewOf(name string) string {
	ps, err := podmanCmd("ps", "-a", "--filter", "label=reconcile.pod=e2e/"+name,
		"--format", "{{.Names}} {{.State}} {{.Status}} exit={{.ExitCode}}")
	view := fmt.Sprintf("containers: %q (%v)", ps, err)
	if id, err := podmanPodOf(name); err == nil {
		limit, err := podCgroupFile(nil, id, "memory", "memory.limit_in_bytes")
		usage, _ := podCgroupFile(nil, id, "memory", "memory.max_usage_in_bytes")
		view += fmt.Sprintf("; pod cgroup memory limit %s, max usage %s (%v)", limit, usage, err)
	}
	return view
}

func (c *cluster) waitRunningPod(name string) {
	c.t.Helper()
	c.eventually(2*time.Minute, name+" runs", func() error {
		p, ok := c.pod(name)
		if !ok || len(runningPods([]corev1.Pod{p})) != 1 {
			return fmt.Errorf("not running yet: %+v", p.Status.ContainerStatuses)
		}
		return nil
	})
}
