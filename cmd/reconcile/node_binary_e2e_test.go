package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// nodeBinary is cmd/reconcile-agent, built once beside env.bin.
var nodeBinary struct {
	once sync.Once
	path string
	err  error
}

func needNodeBinary(t *testing.T) string {
	t.Helper()
	needE2EBinary(t)
	nodeBinary.once.Do(func() {
		nodeBinary.path = filepath.Join(filepath.Dir(env.bin), "reconcile-agent")
		if out, err := exec.Command("go", "build", "-o", nodeBinary.path, "../reconcile-agent").CombinedOutput(); err != nil {
			nodeBinary.err = fmt.Errorf("build reconcile-agent: %v\n%s", err, out)
		}
	})
	if nodeBinary.err != nil {
		t.Fatal(nodeBinary.err)
	}
	return nodeBinary.path
}

// TestE2ENodeBinary: the node binary reconcile-agent joins a controller
// with a token as `reconcile join` does (one code path, agent/agentcmd),
// its node gets Ready and runs a Deployment's pod; `agent --simulate`
// without a token is refused with what to run instead.
func TestE2ENodeBinary(t *testing.T) {
	skipUnlessE2E(t)
	needE2E(t)
	bin := needNodeBinary(t)

	t.Run("simulate needs a token", func(t *testing.T) {
		out, err := exec.Command(bin, "agent", "--simulate", "3").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "reconcile-agent join URL --token T --simulate 3") {
			t.Fatalf("reconcile-agent agent --simulate 3: err %v, want the refusal naming join --token:\n%s", err, out)
		}
	})

	t.Run("joins and runs a pod", func(t *testing.T) {
		c := prepareCluster(t, baseFiles(1, "localhost/reconcile-hello:v1"))
		c.startProc("controller", "controller", "--repo", c.repo, "--data", c.data, "--listen", c.server)
		c.waitServer()
		c.startBinProc("agent", bin, "join", "https://"+c.server, "--token", c.joinToken(), "--node", "e2e-node",
			"--podman", env.sock, "--data", filepath.Join(c.data, "agent"),
			"--listen-logs", "127.0.0.1:0", "--ingress-http-port", "0", "--ingress-https-port", "0")
		c.eventually(2*time.Minute, "node e2e-node Ready", func() error {
			ready, err := readyNodes(c.run)
			if err != nil {
				return err
			}
			if _, ok := ready["e2e-node"]; !ok {
				return fmt.Errorf("e2e-node not Ready yet")
			}
			return nil
		})
		pods := c.waitRunning(1, "localhost/reconcile-hello:v1")
		if pods[0].Spec.NodeName != "e2e-node" {
			t.Fatalf("pod %s on %q, want e2e-node", pods[0].Name, pods[0].Spec.NodeName)
		}
	})
}
