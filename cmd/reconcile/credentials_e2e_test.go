package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ELoopbackNeedsCredentials: hole 1 of issue 8. Another local user
// reaches the loopback API, but without the token gets 401 and cannot read
// the admin config; root's CLI finds server and token in DATA/admin.conf.
func TestE2ELoopbackNeedsCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test runs commands as the unprivileged user 65534 with setpriv")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux) to run commands as another user")
	}
	needE2EBinary(t)
	const canary = "canary-7f3a91"
	c := prepareCluster(t, map[string]string{"secret.yaml": `apiVersion: v1
kind: Secret
metadata: {name: db, namespace: default}
stringData: {password: ` + canary + `}
`})
	// A user without a client config: the controller writes one for them.
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	c.startProc("controller", "controller", "--repo", c.repo, "--data", c.data, "--listen", c.server)
	c.waitServer()
	c.eventually(30*time.Second, "the Secret applied", func() error {
		_, err := c.run("get", "secret", "db")
		return err
	})

	admin := c.adminConfig()
	fi, err := os.Stat(admin)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("DATA/admin.conf: %v %v, want mode 0600", fi, err)
	}
	// Root's CLI needs nothing but the config: no --server, no token flag.
	if out, err := runBin("get", "secret", "db", "--reveal", "-o", "yaml", "--config-file", admin); err != nil || !strings.Contains(out, "password") {
		t.Fatalf("root with the admin config: %v\n%s", err, out)
	}
	// ... and on the first machine not even that: ~/.config/reconcile/config.
	user := filepath.Join(xdg, "reconcile", "config")
	if fi, err := os.Stat(user); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("user config %s: %v %v, want mode 0600", user, fi, err)
	}
	if di, err := os.Stat(filepath.Dir(user)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("user config directory: %v %v, want mode 0700", di, err)
	}
	if out, err := runBin("get", "secret", "db"); err != nil || !strings.Contains(out, "db") {
		t.Fatalf("root without flags: %v\n%s", err, out)
	}
	if out, err := runBin("status"); err != nil || !strings.Contains(out, "fetches:   ") || !strings.Contains(out, "at most one per 1s") {
		t.Errorf("status shows no fetch count: %v\n%s", err, out)
	}
	// Let the file's own mode decide (the data directory is 0700 as well).
	if err := os.Chmod(c.data, 0o755); err != nil {
		t.Fatal(err)
	}
	// A copy of the binary another user may run.
	binDir, err := os.MkdirTemp("", "reconcile-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	os.Chmod(binDir, 0o755)
	bin := filepath.Join(binDir, "reconcile")
	if b, err := os.ReadFile(env.bin); err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatalf("copy binary: %v", err)
	}
	asNobody := func(args ...string) (string, error) {
		cmd := exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--"}, args...)...)
		cmd.Env = []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	url := "https://" + c.server
	// Without the CA the CLI will not even talk to the controller...
	out, err := asNobody(bin, "get", "secrets", "--reveal", "-o", "yaml", "--server", url)
	if err == nil || !strings.Contains(out, "cluster CA") || strings.Contains(out, canary) {
		t.Errorf("unprivileged `reconcile get secrets` on loopback: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("curl"); err == nil {
		// ... and skipping verification gets nothing without a credential.
		out, _ := asNobody("curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", url+"/api/v1/secrets?reveal=true")
		if strings.TrimSpace(out) != "401" {
			t.Errorf("unprivileged curl of /api/v1/secrets: HTTP %q, want 401", out)
		}
		out, _ = asNobody("curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", url+"/healthz")
		if strings.TrimSpace(out) != "200" {
			t.Errorf("/healthz needs no token: HTTP %q", out)
		}
	}
	out, err = asNobody("cat", admin)
	if err == nil || !strings.Contains(out, "Permission denied") || strings.Contains(out, "token") {
		t.Errorf("unprivileged read of DATA/admin.conf: %v\n%s", err, out)
	}
	out, err = asNobody(bin, "get", "secrets", "--config-file", admin)
	if err == nil || !strings.Contains(out, "permission denied") {
		t.Errorf("unprivileged CLI with root's admin config: %v\n%s", err, out)
	}
}
