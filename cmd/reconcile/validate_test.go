package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `reconcile validate` on a real tree: exit 0 and a count when valid,
// exit 1 with every error as file:line:col when not.
func TestValidateCommand(t *testing.T) {
	needE2EBinary(t)
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("namespace.yaml", e2eNamespace)
	write("web.yaml", deployment(2, "localhost/reconcile-hello:v1"))
	out, err := runBin("validate", dir)
	if err != nil || !strings.Contains(out, "2 object(s) valid") {
		t.Fatalf("valid tree: %q, %v", out, err)
	}
	write("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: e2e\ndata:\n  k: v\nbogus: 1\n")
	_, err = runBin("validate", dir)
	if code := exitCode(err); code != 1 {
		t.Fatalf("invalid tree: exit %d, want 1 (%v)", code, err)
	}
	for _, want := range []string{"/bad.yaml:4:", "metadata.name", "/bad.yaml:8:1: bogus"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validate errors lack %q:\n%v", want, err)
		}
	}
}
