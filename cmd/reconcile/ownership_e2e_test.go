package main

// Ownership end to end (issue 8): a lost data directory adopts what runs,
// two installations on one host leave each other's pods alone, and an
// insecure Podman endpoint is refused.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// clusterContainers returns the running containers of one cluster in Podman
// (by its reconcile.cluster label), sorted.
func clusterContainers(t testing.TB, clusterID string) []string {
	t.Helper()
	out, err := podmanCmd("ps", "--no-trunc", "--filter", "label=reconcile.cluster="+clusterID,
		"--filter", "label=reconcile.container", "--format", "{{.ID}}")
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(out)
	sort.Strings(ids)
	return ids
}

func (c *cluster) clusterID() string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data, "cluster-id"))
	if err != nil {
		c.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// waitPodsRunning waits until n pods of e2e run and returns their
// container IDs, sorted.
func (c *cluster) waitPodsRunning(n int, d time.Duration) []string {
	c.t.Helper()
	var ids []string
	c.eventually(d, fmt.Sprintf("%d running pods", n), func() error {
		all := c.pods("e2e")
		run := runningPods(all)
		if len(all) != n || len(run) != n {
			return fmt.Errorf("%d pods, %d running: %s", len(all), len(run), summary(all))
		}
		ids = containerIDs(run)
		return nil
	})
	return ids
}

// rm -rf of the data directory with 20 pods running, and a restart with the
// same --data path and repo: the same 20 containers keep running.
func TestE2ELostDataDirectoryAdoptsRunningContainers(t *testing.T) {
	c := newCluster(t, baseFiles(20, "localhost/reconcile-hello:v1"))
	before := c.waitPodsRunning(20, 180*time.Second)
	id := c.clusterID()
	if got := clusterContainers(t, id); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Fatalf("podman's containers of cluster %s %v differ from the API's %v", id, got, before)
	}

	c.stop()
	if err := os.RemoveAll(c.data); err != nil {
		t.Fatal(err)
	}
	if got := clusterContainers(t, id); len(got) != 20 {
		t.Fatalf("stopping `up` left %d of 20 containers running", len(got))
	}
	c.startProc("up", "up", "--repo", c.repo, "--data", c.data, "--podman", env.sock, "--listen", c.server, "--node", "e2e-node")
	c.waitServer()
	if again := c.clusterID(); again != id {
		t.Fatalf("the cluster ID changed after rm -rf of the data directory: %s, was %s", again, id)
	}
	c.eventually(180*time.Second, "the Deployment reconciled with the original containers", func() error {
		all := c.pods("e2e")
		run := runningPods(all)
		if len(all) != 20 || len(run) != 20 {
			return fmt.Errorf("%d pods, %d running: %s", len(all), len(run), summary(all))
		}
		if got := containerIDs(run); strings.Join(got, ",") != strings.Join(before, ",") {
			return fmt.Errorf("the API reports other containers than before")
		}
		if got := clusterContainers(t, id); strings.Join(got, ",") != strings.Join(before, ",") {
			return fmt.Errorf("podman runs %d containers of the cluster, not exactly the 20 from before", len(got))
		}
		return nil
	})
	for _, p := range c.pods("e2e") {
		if len(p.OwnerReferences) == 0 {
			t.Errorf("pod %s was not adopted by a ReplicaSet", p.Name)
		}
		for _, s := range p.Status.ContainerStatuses {
			if s.RestartCount != 0 {
				t.Errorf("pod %s container %s restarted %d times", p.Name, s.Name, s.RestartCount)
			}
		}
	}
}

// Two installations with their own data directories and API ports on one
// host: each keeps the other's pods running.
func TestE2ETwoInstallationsKeepEachOthersPods(t *testing.T) {
	a := newCluster(t, baseFiles(2, "localhost/reconcile-hello:v1"))
	aIDs := a.waitPodsRunning(2, 60*time.Second)
	b := newCluster(t, baseFiles(2, "localhost/reconcile-hello:v1"))
	bIDs := b.waitPodsRunning(2, 60*time.Second)
	if a.clusterID() == b.clusterID() {
		t.Fatalf("both installations have cluster ID %s", a.clusterID())
	}
	// Make both sync for a while: a scale-up in each, waited for.
	a.commit("scale to 3", map[string]string{"web.yaml": deployment(3, "localhost/reconcile-hello:v1")})
	b.commit("scale to 3", map[string]string{"web.yaml": deployment(3, "localhost/reconcile-hello:v1")})
	aAfter := a.waitPodsRunning(3, 60*time.Second)
	bAfter := b.waitPodsRunning(3, 60*time.Second)
	for name, pair := range map[string][2][]string{"first": {aIDs, aAfter}, "second": {bIDs, bAfter}} {
		for _, id := range pair[0] {
			if !contains(pair[1], id) {
				t.Errorf("the %s installation's container %s is gone after both synced", name, id)
			}
		}
	}
	if got := clusterContainers(t, a.clusterID()); len(got) != 3 {
		t.Errorf("podman runs %d containers of the first installation, want 3", len(got))
	}
	if got := clusterContainers(t, b.clusterID()); len(got) != 3 {
		t.Errorf("podman runs %d containers of the second installation, want 3", len(got))
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// A Podman socket any local user may write is refused with a clear error.
func TestE2EWorldWritablePodmanSocketRefused(t *testing.T) {
	needE2EBinary(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "podman.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	conf := standaloneNodeCredentials(t, dir, "e2e-node", "https://127.0.0.1:1")
	_, err = runBin("agent", "--config-file", conf, "--podman", "unix://"+sock, "--data", filepath.Join(dir, "agent"), "--proxy=false")
	if err == nil || !strings.Contains(err.Error(), "insecure Podman endpoint") || !strings.Contains(err.Error(), "mode 0666") {
		t.Fatalf("a 0666 socket was not refused clearly: %v", err)
	}
	if exitCode(err) == 0 {
		t.Errorf("exit code 0")
	}
}

// standaloneNodeCredentials writes a node's client config issued by a CA
// made for the test, for agent tests that fail before reaching a controller.
func standaloneNodeCredentials(t *testing.T, dir, node, server string) string {
	t.Helper()
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := credentials.Node(ca, server, node, nil, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, node+".conf")
	if err := clientconfig.Write(path, cfg); err != nil {
		t.Fatal(err)
	}
	return path
}
