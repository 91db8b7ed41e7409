package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
)

// TestConnection: the client config gives server and token; the flags and
// environment variables override each; an explicit config must exist.
func TestConnection(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("RECONCILE_CONFIG", "")
	t.Setenv("RECONCILE_SERVER", "")
	t.Setenv("RECONCILE_TOKEN", "")
	user := filepath.Join(dir, "xdg", "reconcile", "config")
	admin := filepath.Join(dir, "admin.conf")
	if err := clientconfig.Write(user, clientconfig.New("user-token", "http://127.0.0.1:7420")); err != nil {
		t.Fatal(err)
	}
	if err := clientconfig.Write(admin, clientconfig.New("admin-token", "http://127.0.0.1:7999")); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("file-token\n"), 0o600)

	for _, tc := range []struct {
		name                      string
		env                       map[string]string
		config, server, tokenFile string
		wantServer, wantToken     string
	}{
		{name: "the user's config", wantServer: "http://127.0.0.1:7420", wantToken: "user-token"},
		{name: "--config-file", config: admin, wantServer: "http://127.0.0.1:7999", wantToken: "admin-token"},
		{name: "$RECONCILE_CONFIG", env: map[string]string{"RECONCILE_CONFIG": admin}, wantServer: "http://127.0.0.1:7999", wantToken: "admin-token"},
		{name: "--server overrides", config: admin, server: "10.0.0.1:7420", wantServer: "10.0.0.1:7420", wantToken: "admin-token"},
		{name: "$RECONCILE_SERVER overrides", env: map[string]string{"RECONCILE_SERVER": "http://h:1"}, wantServer: "http://h:1", wantToken: "user-token"},
		{name: "--token-file overrides", tokenFile: tokenFile, wantServer: "http://127.0.0.1:7420", wantToken: "file-token"},
		{name: "$RECONCILE_TOKEN overrides", env: map[string]string{"RECONCILE_TOKEN": "env-token"}, wantServer: "http://127.0.0.1:7420", wantToken: "env-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			server, token, err := connection(tc.config, tc.server, tc.tokenFile)
			if err != nil || server != tc.wantServer || token != tc.wantToken {
				t.Errorf("connection = %q, %q, %v; want %q, %q", server, token, err, tc.wantServer, tc.wantToken)
			}
		})
	}
	if _, _, err := connection(filepath.Join(dir, "absent.conf"), "", ""); err == nil {
		t.Error("an explicit config that does not exist was accepted")
	}
	os.Remove(user)
	if server, token, err := connection("", "", ""); err != nil || server != "" || token != "" {
		t.Errorf("no config at all: %q %q %v (want the default server, no token)", server, token, err)
	}
}

func TestLocalURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:7420": "http://127.0.0.1:7420",
		"0.0.0.0:7420":   "http://127.0.0.1:7420",
		"[::]:7420":      "http://127.0.0.1:7420",
		":7420":          "http://127.0.0.1:7420",
		"10.0.0.5:7420":  "http://10.0.0.5:7420",
		"[::1]:7420":     "http://[::1]:7420",
	} {
		if got := localURL(in); got != want {
			t.Errorf("localURL(%q) = %q, want %q", in, got, want)
		}
	}
}
