package exepages

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReleaseKeepsTheGOT builds testdata/gotprog with cgo and external
// linking, as the reconcile binary is, and runs it: after Release it must
// still call libc through its GOT. Releasing the RELRO page too (where the
// dynamic linker wrote the GOT) crashed the controller with SIGSEGV at
// PC 0 in runtime.callCgoMmap.
func TestReleaseKeepsTheGOT(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc: cannot link with cgo (the reconcile binary needs it anyway)")
	}
	bin := filepath.Join(t.TempDir(), "gotprog")
	build := exec.Command("go", "build", "-ldflags=-linkmode=external", "-o", bin, "./testdata/gotprog")
	build.Env = append(build.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/gotprog: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("gotprog after Release: %v\n%.2000s", err, out)
	}
	t.Logf("%s", out)
}
