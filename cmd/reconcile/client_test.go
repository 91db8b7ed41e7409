package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
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
		{name: "--server overrides", config: admin, server: "10.0.0.1:7420", wantServer: "https://10.0.0.1:7420", wantToken: "admin-token"},
		{name: "$RECONCILE_SERVER overrides", env: map[string]string{"RECONCILE_SERVER": "http://h:1"}, wantServer: "http://h:1", wantToken: "user-token"},
		{name: "--token-file overrides", tokenFile: tokenFile, wantServer: "http://127.0.0.1:7420", wantToken: "file-token"},
		{name: "$RECONCILE_TOKEN overrides", env: map[string]string{"RECONCILE_TOKEN": "env-token"}, wantServer: "http://127.0.0.1:7420", wantToken: "env-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, err := connection(tc.config, tc.server, tc.tokenFile)
			if err != nil || cfg.Server() != tc.wantServer || cfg.Token != tc.wantToken {
				t.Errorf("connection = %+v, %v; want %q, %q", cfg, err, tc.wantServer, tc.wantToken)
			}
		})
	}
	// Several servers, comma-separated: all of them, in order, normalised.
	several, err := connection(admin, "10.0.0.1:7420, https://10.0.0.2:7420,10.0.0.1:7420", "")
	if err != nil || strings.Join(several.Servers, " ") != "https://10.0.0.1:7420 https://10.0.0.2:7420" {
		t.Errorf("--server with several servers = %+v, %v", several, err)
	}
	if _, err := connection(filepath.Join(dir, "absent.conf"), "", ""); err == nil {
		t.Error("an explicit config that does not exist was accepted")
	}
	os.Remove(user)
	cfg, err := connection("", "", "")
	if err != nil || cfg.Server() != apiclient.DefaultServer || cfg.Token != "" {
		t.Errorf("no config at all: %+v %v (want the default server, no token)", cfg, err)
	}
	// A token alone cannot verify an https:// controller: say what to pass.
	cfg, err = connection("", "https://10.0.0.1:7420", tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(cfg); err == nil || !strings.Contains(err.Error(), "serves HTTPS and no client config gives the cluster CA") || !strings.Contains(err.Error(), "--config-file") {
		t.Errorf("--token-file alone with https: %v", err)
	}
}

// TestConnectionServerKeepsCA: --server replaces the URL, not the CA and
// the client certificate of the config.
func TestConnectionServerKeepsCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := credentials.User(ca, "https://127.0.0.1:7420", "ann", "viewer", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ann.conf")
	if err := clientconfig.Write(path, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := connection(path, "10.1.2.3:9999", "")
	if err != nil || got.Server() != "https://10.1.2.3:9999" || got.CertificateAuthority != cfg.CertificateAuthority || got.ClientCertificate != cfg.ClientCertificate {
		t.Fatalf("connection: %+v %v", got, err)
	}
	if _, err := newClient(got); err != nil {
		t.Errorf("client: %v", err)
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
		if got := localURL(in, false); got != want {
			t.Errorf("localURL(%q) = %q, want %q", in, got, want)
		}
		if got := localURL(in, true); got != "https://"+strings.TrimPrefix(want, "http://") {
			t.Errorf("localURL(%q, https) = %q", in, got)
		}
	}
}
