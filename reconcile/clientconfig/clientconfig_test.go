package clientconfig

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "admin.conf")
	c := New("tok123", "http://127.0.0.1:7420")
	if err := Write(p, c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v; want 0600", fi.Mode(), err)
	}
	di, _ := os.Stat(filepath.Dir(p))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", di.Mode())
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Server() != "http://127.0.0.1:7420" || got.Token != "tok123" || got.Kind != Kind {
		t.Errorf("loaded %+v", got)
	}
	b, _ := os.ReadFile(p)
	for _, want := range []string{"apiVersion: reconcile.dev/v1", "kind: Config", "servers:", "token: tok123"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("file lacks %q:\n%s", want, b)
		}
	}
}

// TestUnknownFieldsAreIgnored: a file written by a newer version (with TLS
// data and a role) still gives this version its server and token.
func TestUnknownFieldsAreIgnored(t *testing.T) {
	c, err := Parse("x", []byte("apiVersion: reconcile.dev/v1\nkind: Config\nservers: [https://10.0.0.1:7420]\ntoken: t\ncertificate-authority-data: AAAA\nrole: admin\n"))
	if err != nil || c.Server() != "https://10.0.0.1:7420" || c.Token != "t" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kind: Pod\napiVersion: v1\n", `kind "Pod"`},
		{"apiVersion: reconcile.dev/v1\nkind: Config\nservers: [127.0.0.1:7420]\n", "not an http"},
		{"servers: [", "client config x"},
	} {
		if _, err := Parse("x", []byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestWriteUserCopy: written when absent, refreshed when this admin.conf
// wrote it, never replaced when the user wrote it.
func TestWriteUserCopy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "home", ".config", "reconcile", "config")
	if ok, err := WriteUserCopy(p, "/data/admin.conf", New("one", "http://127.0.0.1:7420")); !ok || err != nil {
		t.Fatalf("absent: %v %v", ok, err)
	}
	if ok, err := WriteUserCopy(p, "/data/admin.conf", New("two", "http://127.0.0.1:7420")); !ok || err != nil {
		t.Fatalf("own copy: %v %v", ok, err)
	}
	if c, _ := Load(p); c.Token != "two" || c.GeneratedFrom != "/data/admin.conf" {
		t.Errorf("refreshed copy: %+v", c)
	}
	if ok, _ := WriteUserCopy(p, "/other/admin.conf", New("three", "http://127.0.0.1:7421")); ok {
		t.Errorf("another installation replaced the copy of the first")
	}
	if err := Write(p, New("mine", "https://cluster:7420")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := WriteUserCopy(p, "/data/admin.conf", New("four", "http://127.0.0.1:7420")); ok {
		t.Errorf("the user's own file was replaced")
	}
	if c, _ := Load(p); c.Token != "mine" {
		t.Errorf("user's file: %+v", c)
	}
}

func TestFind(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv(EnvConfig, "")
	if p, explicit, _ := Find(""); p != "/xdg/reconcile/config" || explicit {
		t.Errorf("default: %s %v", p, explicit)
	}
	t.Setenv(EnvConfig, "/env.conf")
	if p, explicit, _ := Find(""); p != "/env.conf" || !explicit {
		t.Errorf("env: %s %v", p, explicit)
	}
	if p, explicit, _ := Find("/flag.conf"); p != "/flag.conf" || !explicit {
		t.Errorf("flag: %s %v", p, explicit)
	}
	if c, err := LoadFound(filepath.Join(t.TempDir(), "absent"), false); c != nil || err != nil {
		t.Errorf("absent default: %v %v", c, err)
	}
	if _, err := LoadFound(filepath.Join(t.TempDir(), "absent"), true); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent explicit: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: reconcile.dev/v1\nkind: Config\nservers: [http://127.0.0.1:7420]\ntoken: x\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("servers: 3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("fuzz", b)
		if err == nil && (c.Kind != Kind || c.APIVersion != APIVersion) {
			t.Fatalf("accepted %+v", c)
		}
	})
}
