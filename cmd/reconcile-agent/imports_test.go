package main

import (
	"os/exec"
	"strings"
	"testing"
)

// controllerOnly are packages a node does not need whose init work and
// data every process linking them pays for (BENCHMARKS.md "Issue 13: agent
// memory (round 3)"): the store and its engines, the schema, the
// controllers and the API server, the web UI, git, plotting.
var controllerOnly = []string{
	"github.com/reconcile-dev/reconcile/reconcile/store",
	"github.com/reconcile-dev/reconcile/reconcile/controllers",
	"github.com/reconcile-dev/reconcile/reconcile/apiserver",
	"github.com/reconcile-dev/reconcile/schema",
	"github.com/reconcile-dev/reconcile/scheduler",
	"github.com/dgraph-io/badger/v4",
	"go.etcd.io/etcd/client/v3",
	"go.etcd.io/etcd/server/v3/embed",
	"cuelang.org/go/cue",
	"github.com/go-git/go-git/v5",
	"gonum.org/v1/plot",
}

// TestNodeBinaryImports fails when the node binary links a controller-only
// package again (an import added to agent/agentcmd or below it); `go list
// -deps` says which.
func TestNodeBinaryImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/reconcile-dev/reconcile/agent/agentcmd"] {
		t.Fatalf("go list -deps lists no agent/agentcmd: %d packages, wrong package?", len(deps))
	}
	for _, p := range controllerOnly {
		if deps[p] {
			t.Errorf("reconcile-agent links %s: find the import with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/reconcile-agent | grep %s` and cut it", p, p)
		}
	}
}
