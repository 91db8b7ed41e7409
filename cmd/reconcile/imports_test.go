package main

import (
	"os/exec"
	"strings"
	"testing"
)

// benchOnly are packages the product binary must not link: their init
// work and data would be resident in every controller, agent and CLI
// process for a tool only `make bench-scale` runs (gonum/plot parsed a
// dozen fonts at init: BENCHMARKS.md "Issue 13: memory (round 4)"). They
// belong to cmd/reconcile-plot.
var benchOnly = []string{
	"gonum.org/v1/plot",
	"github.com/reconcile-dev/reconcile/reconcile/scalebench/scaleplot",
}

// TestProductBinaryImports fails when the product binary links a
// benchmark-only package again; `go list -deps` says which.
func TestProductBinaryImports(t *testing.T) {
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
	if !deps["github.com/reconcile-dev/reconcile/reconcile/scalebench"] {
		t.Fatalf("go list -deps lists no reconcile/scalebench: %d packages, wrong package?", len(deps))
	}
	for _, p := range benchOnly {
		if deps[p] {
			t.Errorf("reconcile links %s: find the import with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/reconcile | grep %s` and cut it", p, p)
		}
	}
}
