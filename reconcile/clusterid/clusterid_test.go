package clusterid

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

func TestDefaultIsStablePerMachineAndDirectory(t *testing.T) {
	a := Default("3d1219c7", "/var/lib/reconcile")
	if a != Default("3d1219c7\n", "/var/lib/reconcile/") {
		t.Errorf("the same machine and directory gave different IDs")
	}
	if a == Default("3d1219c7", "/var/lib/reconcile2") || a == Default("other", "/var/lib/reconcile") {
		t.Errorf("another directory or machine gave the same ID %s", a)
	}
	if err := Valid(a); err != nil || len(a) != 16 {
		t.Errorf("default ID %q: %v", a, err)
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		flag, file, stored, want string
		warns                    bool
	}{
		{"", "", "", "def", false},
		{"", "", "s1", "s1", false},
		{"", "f1", "", "f1", false},
		{"", "f1", "f1", "f1", false},
		{"", "f1", "s1", "f1", true},
		{"x", "", "", "x", false},
		{"x", "x", "x", "x", false},
		{"x", "f1", "", "x", true},
	} {
		id, w := Choose(tc.flag, tc.file, tc.stored, "def")
		if id != tc.want || (w != "") != tc.warns {
			t.Errorf("Choose(%q,%q,%q) = %q, %q; want %q, warning %v", tc.flag, tc.file, tc.stored, id, w, tc.want, tc.warns)
		}
	}
}

// rm -rf of the data directory and a restart with the same path: the same ID.
func TestLoadOrCreateSurvivesALostDataDirectory(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(data, 0o700)
	open := func() *store.Store {
		st, err := store.Open(filepath.Join(data, "store"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	first, err := LoadOrCreate(data, st, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := Get(st); got != first {
		t.Errorf("store holds %q, want %q", got, first)
	}
	st.Close()
	b, _ := os.ReadFile(filepath.Join(data, FileName))
	if strings.TrimSpace(string(b)) != first {
		t.Errorf("DATA/cluster-id holds %q, want %q", b, first)
	}
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(data, 0o700)
	st = open()
	defer st.Close()
	again, err := LoadOrCreate(data, st, "", nil)
	if err != nil || again != first {
		t.Fatalf("after rm -rf: %q, %v; want %q", again, err, first)
	}
	explicit, err := LoadOrCreate(data, st, "prod-1", nil)
	if err != nil || explicit != "prod-1" {
		t.Fatalf("--cluster-id prod-1: %q, %v", explicit, err)
	}
	if kept, _ := LoadOrCreate(data, st, "", nil); kept != "prod-1" {
		t.Errorf("an explicit ID was not kept: %q", kept)
	}
	if _, err := LoadOrCreate(data, st, "Bad ID!", nil); err == nil {
		t.Errorf("an invalid --cluster-id was accepted")
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{"abc", "a-b", "-a", "A", strings.Repeat("a", 64), "", "0123456789abcdef"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(s) == nil && (len(s) > 63 || strings.ContainsAny(s, "=, \n")) {
			t.Errorf("Valid accepted %q, which breaks a label filter", s)
		}
	})
}
