package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// startServer starts `reconcile controller` as server name of a control
// plane (args: --cluster-init or --join URL --token T) on loopback ports.
func startServer(t *testing.T, repo, name string, args ...string) *cluster {
	c := &cluster{t: t, data: t.TempDir(), repo: repo, log: &bytes.Buffer{}, procs: map[string]*exec.Cmd{}}
	c.server = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, tail(c.logs(), 40))
		}
	})
	c.startProc("controller", append([]string{"controller", "--repo", repo, "--data", c.data, "--listen", c.server, "--server-name", name,
		"--etcd-advertise-address", "127.0.0.1", "--etcd-peer-port", strconv.Itoa(freePort(t)), "--etcd-client-port", strconv.Itoa(freePort(t)),
		"--leader-elect-lease-duration", "4s"}, args...)...)
	err := testkit.Poll(2*time.Minute, func() error {
		if strings.Contains("\n"+c.logs(), "\nreconcile: ") {
			return nil // it exited: the log says why (main prints "reconcile: ERROR")
		}
		_, err := c.run("get", "nodes")
		return err
	})
	if err != nil || strings.Contains("\n"+c.logs(), "\nreconcile: ") {
		t.Fatalf("server %s did not come up: %v\n%s", name, err, tail(c.logs(), 40))
	}
	return c
}

var leaderLine = regexp.MustCompile(`controller leader: (\S+)`)

// Three servers: one --cluster-init, two --join with a server token;
// status lists the members and the leader; the leader killed with -9,
// another leads; the dead one is removed through another server.
func TestE2EControlPlaneServers(t *testing.T) {
	needE2EBinary(t)
	repo := t.TempDir()
	testkit.Run(t, repo, "init", "-q", "-b", "main")
	testkit.Run(t, repo, "commit", "-q", "--allow-empty", "-m", "initial")
	servers := map[string]*cluster{"server-1": startServer(t, repo, "server-1", "--cluster-init")}
	tok, err := servers["server-1"].run("token", "create", "--control-plane", "--ttl", "1h")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"server-2", "server-3"} {
		servers[name] = startServer(t, repo, name, "--join", "https://"+servers["server-1"].server, "--token", strings.TrimSpace(tok))
	}
	var leader string
	t.Run("status lists the members and the leader", func(t *testing.T) {
		testkit.Eventually(t, 2*time.Minute, "three healthy members and a leader", func() error {
			out, err := servers["server-2"].run("status")
			if err != nil {
				return err
			}
			m := leaderLine.FindStringSubmatch(out)
			if m == nil || servers[m[1]] == nil || strings.Count(out, " yes ") != 3 {
				return fmt.Errorf("status:\n%s", out)
			}
			leader = m[1]
			return nil
		})
	})
	t.Run("the leader killed, another leads", func(t *testing.T) {
		dead := servers[leader]
		dead.procs["controller"].Process.Kill()
		dead.procs["controller"].Wait()
		delete(servers, leader)
		var other *cluster
		for _, c := range servers {
			other = c
		}
		testkit.Eventually(t, 2*time.Minute, "another leader", func() error {
			out, err := other.run("status")
			if err != nil {
				return err
			}
			if m := leaderLine.FindStringSubmatch(out); m == nil || servers[m[1]] == nil {
				return fmt.Errorf("status:\n%s", out)
			}
			return nil
		})
		if _, err := other.run("server", "remove", leader); err != nil {
			t.Fatal(err)
		}
		out, err := other.run("status")
		if err != nil || strings.Contains(out, leader) {
			t.Fatalf("after removing %s: %v\n%s", leader, err, out)
		}
	})
}
