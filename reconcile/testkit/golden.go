package testkit

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is the one -update flag of every test binary that uses golden
// files: `go test ./pkg -run TestX -update` rewrites them from the output.
var update = flag.Bool("update", false, "rewrite golden files (testdata/*.golden) from the current output")

// Updating reports whether -update was given (for tests that write
// several files or other artefacts on update).
func Updating() bool { return *update }

// Golden compares got with the file at path (relative to the test's
// package directory). With -update it writes got there instead. A
// difference is reported with both texts, so the failure reads like a
// review of the change.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run '%s' -update to create it)", err, t.Name())
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (check the diff, then go test -run '%s' -update rewrites it):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

// GoldenString is Golden for text.
func GoldenString(t testing.TB, path, got string) {
	t.Helper()
	Golden(t, path, []byte(got))
}

// GoldenJSON compares v, indented JSON with a final newline, with path.
func GoldenJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	Golden(t, path, append(b, '\n'))
}
