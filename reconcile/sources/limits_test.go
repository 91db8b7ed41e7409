package sources

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/reconcile-dev/reconcile/schema"
)

func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	src := "sources:\n  - name: main\n    url: ./repo\n"
	got, err := LoadLimits(write("a.yaml", src+"limits:\n  maxObjectBytes: 20971520\n  maxCommitObjects: 50\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (schema.Limits{MaxObjectBytes: 20 << 20, MaxCommitObjects: 50}); got != want {
		t.Errorf("limits %+v, want %+v", got, want)
	}
	if got, err := LoadLimits(write("b.yaml", src)); err != nil || got != (schema.Limits{}) {
		t.Errorf("no limits section: %+v, %v", got, err)
	}
	if _, err := LoadLimits(write("c.yaml", src+"limits:\n  maxCommitBytes: -1\n")); err == nil {
		t.Error("a negative limit accepted")
	}
	if _, err := LoadLimits(write("d.yaml", src+"limits:\n  maxBytes: 1\n")); err == nil {
		t.Error("an unknown limit accepted")
	}
}
