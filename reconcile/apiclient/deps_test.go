package apiclient_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAgentDependency: the API client serves the CLI and every other
// control-plane client; it must not pull in the agent (and with it the
// Podman bindings). The agent's interfaces are asserted in cmd/reconcile.
func TestNoAgentDependency(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to list dependencies")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/reconcile-dev/reconcile/reconcile/apiclient").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/reconcile-dev/reconcile/agent") {
			t.Errorf("reconcile/apiclient depends on %s: define the interface where it is consumed, or assert it in cmd/reconcile", pkg)
		}
	}
}
