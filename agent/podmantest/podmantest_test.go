package podmantest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestRemoveStorageUnmountsFirst(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	dir := t.TempDir()
	inner := filepath.Join(dir, "a b", "mnt")
	os.MkdirAll(inner, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "tmpfs", inner).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs here: %v %s", err, out)
	}
	os.WriteFile(filepath.Join(inner, "f"), []byte("x"), 0o644)
	if got := mountsUnder(dir); len(got) != 1 || got[0] != inner {
		t.Fatalf("mounts under %s: %v", dir, got)
	}
	if err := RemoveStorage(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still there: %v", dir, err)
	}
}
