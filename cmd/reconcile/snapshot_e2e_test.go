package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 12 part 6: `reconcile snapshot save`, the store wiped, `reconcile
// snapshot restore`, and the cluster is back as it was: the same pods with
// the same running containers (none restarted), and what only the store
// held (a join token) is there again.
func TestE2ESnapshotSaveWipeRestore(t *testing.T) {
	c := newCluster(t, baseFiles(3, "localhost/reconcile-hello:v1"))
	before := c.waitPodsRunning(3, 180*time.Second)
	id := c.clusterID()
	tok := c.joinToken("--ttl", "2h")
	tokID := strings.SplitN(strings.SplitN(tok, "::", 2)[1], ".", 2)[0]

	file := filepath.Join(t.TempDir(), "snap.db")
	out, err := c.run("snapshot", "save", file)
	if err != nil || !strings.Contains(out, "written to "+file) {
		t.Fatalf("snapshot save: %v\n%s", err, out)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot file: %v, mode %v (want 0600: it holds Secrets' values)", err, fi.Mode())
	}
	// Restore refuses while the controller runs (its store is locked).
	if out, err := runBin("snapshot", "restore", file, "--data", c.data); err == nil || !strings.Contains(err.Error()+out, "stop the controller") {
		t.Fatalf("restore into a running controller's store: %v\n%s", err, out)
	}

	c.stop()
	if err := os.RemoveAll(filepath.Join(c.data, "store")); err != nil {
		t.Fatal(err)
	}
	if out, err := runBin("snapshot", "restore", file, "--data", c.data); err != nil {
		t.Fatalf("snapshot restore: %v\n%s", err, out)
	}
	c.startProc("up", "up", "--repo", c.repo, "--data", c.data, "--podman", env.sock, "--listen", c.server, "--node", "e2e-node")
	c.waitServer()
	out, err = c.run("token", "list")
	if err != nil || !strings.Contains(out, tokID) {
		t.Fatalf("the join token made before the snapshot is not back: %v\n%s", err, out)
	}
	if after := c.waitPodsRunning(3, 180*time.Second); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("containers changed across snapshot and restore:\nbefore %v\nafter  %v", before, after)
	}
	if got := clusterContainers(t, id); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Fatalf("podman runs %v for the cluster, want exactly %v", got, before)
	}
	for _, p := range c.pods("e2e") {
		for _, s := range p.Status.ContainerStatuses {
			if s.RestartCount != 0 {
				t.Errorf("pod %s container %s restarted %d times", p.Name, s.Name, s.RestartCount)
			}
		}
	}
}
