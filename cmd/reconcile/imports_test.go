package main

import (
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
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
	deps := testkit.Deps(t, "github.com/reconcile-dev/reconcile/reconcile/scalebench")
	for _, p := range benchOnly {
		if deps[p] {
			t.Errorf("reconcile links %s: find the import with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/reconcile | grep %s` and cut it", p, p)
		}
	}
}
