package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/agent/podmantest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// The real-Podman tests share one isolated Podman service (own root, runroot
// and tmpdir under a temp directory, the project's containers.conf) and one
// test image built FROM scratch around testdata/testprog.
const testImage = "localhost/reconcile-agent-test:v1"

var podmanEnv struct {
	once    sync.Once
	err     error
	skip    string
	dir     string
	sockURL string
	stop    func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if podmanEnv.stop != nil {
		cleanupPodman()
	}
	os.Exit(code)
}

// requirePodman returns the socket URL of the shared service, starting it
// and building the image on first use; it skips when not root or no podman.
func requirePodman(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("real-Podman test skipped in -short mode")
	}
	podmanEnv.once.Do(setupPodman)
	if podmanEnv.skip != "" {
		t.Skip(podmanEnv.skip)
	}
	if podmanEnv.err != nil {
		t.Fatal(podmanEnv.err)
	}
	return podmanEnv.sockURL
}

func setupPodman() {
	if os.Geteuid() != 0 {
		podmanEnv.skip = "real-Podman tests need root (rootful Podman with runc); run `go test` as root"
		return
	}
	if _, err := exec.LookPath("podman"); err != nil {
		podmanEnv.skip = "podman is not installed (apt-get install podman runc); real-Podman tests skipped"
		return
	}
	// A short path: the unix socket path must stay under ~100 bytes.
	dir, err := os.MkdirTemp("", "agt")
	if err != nil {
		podmanEnv.err = err
		return
	}
	podmanEnv.dir = dir
	logf, _ := os.Create(filepath.Join(dir, "service.log"))
	sock, stop, err := StartPodmanServiceWith(context.Background(), ServiceOptions{
		DataDir: dir, Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "runroot"),
		TmpDir: filepath.Join(dir, "tmp"), Output: logf, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		podmanEnv.err = err
		return
	}
	podmanEnv.sockURL, podmanEnv.stop = sock, stop
	podmanEnv.err = buildTestImage(dir)
}

// podmanCLI runs the podman CLI against the isolated storage.
func podmanCLI(args ...string) (string, error) {
	d := podmanEnv.dir
	full := append([]string{"--root", filepath.Join(d, "root"), "--runroot", filepath.Join(d, "runroot"),
		"--tmpdir", filepath.Join(d, "tmp")}, args...)
	cmd := exec.Command("podman", full...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(d, "containers.conf"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func buildTestImage(dir string) error {
	ctxDir := filepath.Join(dir, "image")
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		return err
	}
	build := exec.Command("go", "build", "-o", filepath.Join(ctxDir, "testprog"), "./testdata/testprog")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building testdata/testprog: %v\n%s", err, out)
	}
	cf := "FROM scratch\nCOPY testprog /testprog\nENTRYPOINT [\"/testprog\"]\n"
	if err := os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte(cf), 0o644); err != nil {
		return err
	}
	_, err := podmanCLI("build", "-q", "-t", testImage, "-f", filepath.Join(ctxDir, "Containerfile"), ctxDir)
	return err
}

func cleanupPodman() {
	podmanCLI("pod", "rm", "-af", "-t", "0")
	podmanCLI("rm", "-af", "-t", "0")
	podmanEnv.stop()
	podmantest.RemoveStorage(podmanEnv.dir) // never `system reset`: it removes host-wide state too
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testkit.Eventually(t, limit, what, func() error {
		if ok, msg := cond(); !ok {
			return errors.New(msg)
		}
		return nil
	})
}
