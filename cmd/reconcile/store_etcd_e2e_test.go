package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// Controllers on an external three-member etcd (Debian's etcd-server 3.4)
// with --store etcd: the commit is applied through the log in etcd, both
// controllers (each with its own, empty data directory) serve the same
// objects with the same resourceVersions, one leads, and when it is killed
// the other leads and applies the next commit.
func TestControllerOnExternalEtcd(t *testing.T) {
	needE2EBinary(t)
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	endpoints := etcdtest.StartExternalCluster(t, 3) // Debian's etcd 3.4, three members
	repo := t.TempDir()
	testkit.Run(t, repo, "init", "-q", "-b", "main")
	git := &cluster{t: t, repo: repo}
	git.commit("initial", map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: greeting}\ndata: {text: hello}\n"})
	store := []string{"--store", "etcd", "--etcd-endpoints", strings.Join(endpoints, ","), "--etcd-prefix", "/e2e/"}
	// Two controllers on the same etcd, each with its own data directory:
	// one leads (the same election as embedded members), both serve.
	servers := map[string]*cluster{"ext-a": startServer(t, repo, "ext-a", store...), "ext-b": startServer(t, repo, "ext-b", store...)}
	rv := func(c *cluster) (string, error) {
		out, err := c.run("get", "configmap", "greeting", "-o", "yaml")
		if err != nil || !strings.Contains(out, "text: hello") {
			return "", fmt.Errorf("%v: %s", err, out)
		}
		return resourceVersionLine(out), nil
	}
	var leader string
	testkit.Eventually(t, 2*time.Minute, "the commit applied on etcd, the same object on both servers, one leader", func() error {
		a, err := rv(servers["ext-a"])
		if err != nil {
			return err
		}
		b, err := rv(servers["ext-b"])
		if err != nil {
			return err
		}
		if a != b {
			return fmt.Errorf("the servers disagree: %s, %s", a, b)
		}
		out, err := servers["ext-b"].run("status")
		m := leaderLine.FindStringSubmatch(out)
		if err != nil || m == nil || servers[m[1]] == nil || !strings.Contains(out, "etcd (external)") {
			return fmt.Errorf("status: %v\n%s", err, out)
		}
		leader = m[1]
		return nil
	})
	// The leader killed: the other takes over when its lease ends (no
	// fast path: an external etcd's members say nothing about a
	// controller) and applies the next commit.
	dead := servers[leader]
	dead.procs["controller"].Process.Kill()
	dead.procs["controller"].Wait()
	delete(servers, leader)
	git.commit("greeting v2", map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: greeting}\ndata: {text: hello again}\n"})
	for _, c := range servers {
		c.eventually(2*time.Minute, "the other server leads and applies the next commit", func() error {
			out, err := c.run("get", "configmap", "greeting", "-o", "yaml")
			if err != nil || !strings.Contains(out, "text: hello again") {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		})
	}
}

func resourceVersionLine(yaml string) string {
	for _, l := range strings.Split(yaml, "\n") {
		if strings.Contains(l, "resourceVersion:") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
