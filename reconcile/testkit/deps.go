package testkit

import (
	"os/exec"
	"strings"
	"testing"
)

// Deps lists the packages the package in the test's directory links
// (`go list -deps .`), for tests that keep a binary free of packages it
// must not carry. sure is one package it must list, so that a wrong
// directory or an empty answer fails rather than passing every check.
// Without the go command the test is skipped.
func Deps(t *testing.T, sure string) map[string]bool {
	t.Helper()
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
	if !deps[sure] {
		t.Fatalf("go list -deps lists no %s: %d packages, wrong package?", sure, len(deps))
	}
	return deps
}
