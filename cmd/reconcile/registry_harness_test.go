package main

// A private registry for end-to-end tests: Debian's docker-registry
// (distribution 2.x) on loopback, plain HTTP, htpasswd auth.

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// testRegistryAddr is the loopback address the test registry listens on.
// It is chosen before the Podman service starts, because the service reads
// its registries.conf (which marks this plain-HTTP address insecure) once.
var testRegistryAddr string

// insecureTestRegistry reserves testRegistryAddr and writes the
// registries.conf the harness's Podman service runs with: what an operator
// with a plain-HTTP registry writes too (README, "Private registries").
func insecureTestRegistry(dir string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	testRegistryAddr = l.Addr().String()
	l.Close()
	path := filepath.Join(dir, "registries.conf")
	conf := fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n", testRegistryAddr)
	return path, os.WriteFile(path, []byte(conf), 0o644)
}

// startRegistry runs docker-registry on testRegistryAddr with one user and
// stops it when the test ends. It skips when the package is not installed.
func startRegistry(t *testing.T, user, password string) string {
	t.Helper()
	if _, err := exec.LookPath("docker-registry"); err != nil {
		t.Skip("needs Debian's docker-registry package: run `make setup`")
	}
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "config.yml")
	yml := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
auth:
  htpasswd:
    realm: reconcile-test
    path: %s
`, filepath.Join(dir, "data"), testRegistryAddr, htpasswd)
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker-registry", "serve", conf)
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("registry log:\n%s", tail(string(b), 40))
		}
	})
	err = testkit.Poll(30*time.Second, func() error {
		resp, err := http.Get("http://" + testRegistryAddr + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			return fmt.Errorf("GET /v2/ answered %s, want 401 before login", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("docker-registry did not come up on %s: %v", testRegistryAddr, err)
	}
	return testRegistryAddr
}
