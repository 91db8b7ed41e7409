package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
)

// The controller on an external etcd (Debian's etcd-server 3.4) with
// --store etcd: the commit is applied through the log in etcd, and a
// controller started afterwards on another, empty data directory serves
// the same objects with the same resourceVersions from it.
func TestControllerOnExternalEtcd(t *testing.T) {
	needE2EBinary(t)
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	endpoint := etcdtest.StartExternal(t)
	c := prepareCluster(t, map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: greeting}\ndata: {text: hello}\n"})
	store := []string{"--store", "etcd", "--etcd-endpoints", endpoint, "--etcd-prefix", "/e2e/"}
	c.startProc("controller", append([]string{"controller", "--repo", c.repo, "--data", c.data, "--listen", c.server}, store...)...)
	c.waitServer()
	var first string
	c.eventually(2*time.Minute, "the commit applied on etcd", func() error {
		out, err := c.run("get", "configmap", "greeting", "-o", "yaml")
		if err != nil || !strings.Contains(out, "text: hello") {
			return fmt.Errorf("%v: %s", err, out)
		}
		first = resourceVersionLine(out)
		return nil
	})
	c.stop()
	// Another server: a new data directory, the same etcd.
	data2 := t.TempDir()
	server2 := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	c.procs = map[string]*exec.Cmd{}
	c.data, c.server = data2, server2
	c.startProc("controller", append([]string{"controller", "--repo", c.repo, "--data", data2, "--listen", server2}, store...)...)
	c.waitServer()
	out, err := c.run("get", "configmap", "greeting", "-o", "yaml")
	if err != nil || !strings.Contains(out, "text: hello") || resourceVersionLine(out) != first {
		t.Fatalf("second controller: %v\n%s\n(first server: %s)", err, out, first)
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
