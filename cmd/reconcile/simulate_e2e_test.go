package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/hollow"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// prepareControllerOnly is prepareCluster without Podman: a git repo and
// a cluster whose processes stop when the test ends.
func prepareControllerOnly(t *testing.T) *cluster {
	c := &cluster{t: t, data: t.TempDir(), repo: t.TempDir(), log: &bytes.Buffer{}, procs: map[string]*exec.Cmd{}}
	c.server = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	testkit.Run(t, c.repo, "init", "-q", "-b", "main")
	c.commit("initial", nil)
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("controller and simulator log:\n%s", tail(c.logs(), 60))
		}
	})
	return c
}

const simulatedDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: sim
  namespace: default
spec:
  replicas: 40
  selector:
    matchLabels: {app: sim}
  template:
    metadata:
      labels: {app: sim}
    spec:
      containers:
        - name: app
          image: localhost/reconcile-hello:v1
`

// TestE2ESimulatedNodes: a controller alone and `reconcile agent
// --simulate 20` with the admin's config (the nodes join with a token it
// makes, each with its own certificate); a Deployment of 40 replicas runs
// on them; when the simulator stops, its nodes go NotReady.
func TestE2ESimulatedNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	needE2EBinary(t) // simulated nodes need no Podman
	c := prepareControllerOnly(t)
	c.startProc("controller", "controller", "--repo", c.repo, "--data", c.data, "--listen", c.server,
		"--node-monitor-grace-period", "10s")
	c.waitServer()
	c.startProc("agent", "agent", "--simulate", "20", "--config-file", c.adminConfig(), "--server", c.server,
		"--data", filepath.Join(c.data, "sim"), "--node-status-update-frequency", "2s")

	simulated := func(want corev1.ConditionStatus) func() error {
		return func() error {
			nodes, err := getNodes(c.run)
			if err != nil {
				return err
			}
			n := 0
			for _, node := range nodes {
				if node.Labels[hollow.LabelSimulated] != "true" {
					continue
				}
				for _, cond := range node.Status.Conditions {
					if cond.Type == corev1.NodeReady && cond.Status == want {
						n++
					}
				}
			}
			if n != 20 {
				return fmt.Errorf("%d simulated nodes with Ready=%s, want 20 (of %d nodes)", n, want, len(nodes))
			}
			return nil
		}
	}
	start := time.Now()
	c.eventually(2*time.Minute, "20 simulated nodes Ready", simulated(corev1.ConditionTrue))
	t.Logf("20 simulated nodes Ready after %s", time.Since(start).Round(time.Second))

	c.commit("40 replicas", map[string]string{"sim.yaml": simulatedDeployment})
	if _, err := c.run("sync"); err != nil {
		t.Fatal(err)
	}
	c.eventually(3*time.Minute, "40 pods Running on simulated nodes", func() error {
		pods := runningPods(c.pods("default"))
		nodes := map[string]bool{}
		for _, p := range pods {
			if !strings.HasPrefix(p.Spec.NodeName, "hollow-") || p.Status.PodIP == "" {
				return fmt.Errorf("pod %s runs on %q with podIP %q, want a simulated node and an address", p.Name, p.Spec.NodeName, p.Status.PodIP)
			}
			nodes[p.Spec.NodeName] = true
		}
		if len(pods) != 40 {
			return fmt.Errorf("%d pods Running, want 40", len(pods))
		}
		t.Logf("40 pods Running on %d simulated nodes after %s", len(nodes), time.Since(start).Round(time.Second))
		return nil
	})

	sim := c.procs["agent"]
	sim.Process.Kill() // as a host that dies: no goodbye
	sim.Wait()
	c.eventually(2*time.Minute, "the simulated nodes NotReady once the simulator stops", simulated(corev1.ConditionUnknown))
	t.Logf("20 simulated nodes NotReady after %s", time.Since(start).Round(time.Second))
}
