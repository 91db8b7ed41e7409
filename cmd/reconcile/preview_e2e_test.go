package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `reconcile diff DIR --preview` against a running cluster says where the
// new pods would go on the real node, and why a too-large one fits nowhere.
func TestE2EDiffPreview(t *testing.T) {
	c := newPlainCluster(t, map[string]string{"namespace.yaml": e2eNamespace})
	c.eventually(20*time.Second, "the node registered", func() error { _, err := c.run("get", "node", "e2e-node"); return err })
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "namespace.yaml"), []byte(e2eNamespace), 0o644)
	os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(deployment(2, "localhost/reconcile-hello:v1")), 0o644)
	huge := strings.Replace(strings.Replace(deployment(1, "localhost/reconcile-hello:v1"), "name: web", "name: huge", 1),
		"      containers:\n", "      containers:\n", 1)
	huge = strings.Replace(huge, "image: localhost/reconcile-hello:v1", "image: localhost/reconcile-hello:v1\n          resources: {requests: {cpu: \"512\"}}", 1)
	os.WriteFile(filepath.Join(dir, "huge.yaml"), []byte(huge), 0o644)
	out, err := c.run("diff", dir, "--preview")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Deployment/e2e/web: 2 new pod(s) → e2e-node (2)",
		"Deployment/e2e/huge: 1 new pod(s)\n    ! 1 pod(s) fit on no node: 0/1 nodes are available: 1 Insufficient cpu.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	md, err := c.run("diff", dir, "--preview", "-o", "markdown")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "| `Deployment/e2e/web` | 2 | e2e-node (2) | – |") {
		t.Errorf("markdown preview:\n%s", md)
	}
}
