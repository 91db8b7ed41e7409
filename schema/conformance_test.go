package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// conformanceDir finds shared/conformance beside the repository, or the
// directory named by RECONCILE_CONFORMANCE.
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RECONCILE_CONFORMANCE")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "conformance")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("conformance corpus not found at %s (set RECONCILE_CONFORMANCE): %v", dir, err)
		}
		t.Skipf("conformance corpus not found at %s; set RECONCILE_CONFORMANCE to run this test", dir)
	}
	return dir
}

// TestConformance validates the Kubernetes documentation examples and
// compares the errors with testdata/conformance.golden: every file that
// uses only supported fields validates, the others fail naming the field.
func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	files, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The examples are independent of each other (several define the same
	// Pod), so each file is validated as a tree of its own.
	v := newTestValidator(t)
	var res Result
	var b strings.Builder
	for _, f := range files {
		r := v.Validate([]File{f})
		res.Manifests = append(res.Manifests, r.Manifests...)
		res.Errors = append(res.Errors, r.Errors...)
		b.WriteString(r.String())
	}
	testkit.GoldenString(t, filepath.Join("testdata", "conformance.golden"), b.String())

	// Every manifest file yields objects or errors, never nothing.
	seen := map[string]bool{}
	for _, m := range res.Manifests {
		seen[m.Path] = true
	}
	for _, e := range res.Errors {
		seen[e.Path] = true
	}
	for _, f := range files {
		if manifestExt(f.Path) && !seen[f.Path] {
			t.Errorf("%s: produced neither objects nor errors", f.Path)
		}
	}
	t.Logf("%d objects, %d errors from %d files", len(res.Manifests), len(res.Errors), len(files))
}
