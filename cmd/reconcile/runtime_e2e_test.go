package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// nodeReady returns the Ready condition of the cluster's one node.
func (c *cluster) nodeReady() (corev1.NodeCondition, error) {
	out, err := c.run("get", "nodes", "-o", "json")
	if err != nil {
		return corev1.NodeCondition{}, err
	}
	var l struct{ Items []corev1.Node }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		return corev1.NodeCondition{}, err
	}
	for _, n := range l.Items {
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				return cond, nil
			}
		}
	}
	return corev1.NodeCondition{}, fmt.Errorf("no node with a Ready condition: %s", out)
}

// removeHostPods removes the Podman pods of a cluster from the host's
// default storage (where `up`'s own Podman service keeps them).
func removeHostPods(clusterID string) {
	out, err := exec.Command("podman", "pod", "ps", "-q", "--filter", "label=reconcile.cluster="+clusterID).Output()
	if err != nil {
		return
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("podman", append([]string{"pod", "rm", "-f"}, ids...)...).Run()
	}
}

// Deleting the socket of `up`'s own Podman service: the node is NotReady
// within seconds with the runtime's reason, then Ready again with the same
// containers, and a pod created meanwhile starts.
func TestE2EPodmanSocketDeletedNodeNotReadyThenBack(t *testing.T) {
	needE2E(t)
	if out, err := exec.Command("podman", "image", "exists", "localhost/reconcile-hello:v1").CombinedOutput(); err != nil {
		t.Skipf("needs localhost/reconcile-hello:v1 in the host's Podman storage (run `make images`): %v %s", err, out)
	}
	var clusterID string
	t.Cleanup(func() { // runs after the cluster's own cleanup stopped `up`
		if clusterID != "" {
			removeHostPods(clusterID)
		}
	})
	c := prepareCluster(t, baseFiles(2, "localhost/reconcile-hello:v1"))
	// No --podman: `up` starts and supervises its own service.
	c.startProc("up", "up", "--repo", c.repo, "--data", c.data, "--listen", c.server, "--node", "e2e-node")
	c.waitServer()
	clusterID = c.clusterID()
	before := c.waitPodsRunning(2, 120*time.Second)

	sock := filepath.Join(c.data, "agent", "podman.sock")
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	c.eventually(20*time.Second, "node NotReady with reason ContainerRuntimeUnhealthy", func() error {
		cond, err := c.nodeReady()
		if err != nil {
			return err
		}
		if cond.Status != corev1.ConditionFalse || cond.Reason != "ContainerRuntimeUnhealthy" || !strings.Contains(cond.Message, sock) {
			return fmt.Errorf("Ready=%s %s: %s", cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
	c.commit("scale to 3 while the runtime is down", map[string]string{"web.yaml": deployment(3, "localhost/reconcile-hello:v1")})
	c.eventually(60*time.Second, "node Ready again", func() error {
		cond, err := c.nodeReady()
		if err != nil {
			return err
		}
		if cond.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready=%s %s: %s", cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
	after := c.waitPodsRunning(3, 120*time.Second)
	for _, id := range before {
		if !contains(after, id) {
			t.Errorf("container %s did not survive the Podman service restart (now %v)", id, after)
		}
	}
}
