package agent

import (
	"bytes"
	"context"
	"github.com/reconcile-dev/reconcile/agent/podmantest"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The supervised service comes back after it is killed and is stopped by stop.
func TestPodmanServiceSupervision(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for rootful Podman")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed")
	}
	dir, err := os.MkdirTemp("", "ags")
	if err != nil {
		t.Fatal(err)
	}
	root, runRoot, tmp := filepath.Join(dir, "root"), filepath.Join(dir, "runroot"), filepath.Join(dir, "tmp")
	t.Cleanup(func() {
		podmantest.RemoveStorage(dir) // never `system reset`: it removes host-wide state too
	})
	// A service a killed agent left behind (its pid file names it) is
	// stopped before the new one starts.
	orphan := exec.Command("podman", "--root", root, "--runroot", runRoot, "--tmpdir", tmp, "system", "service", "--time=0",
		"unix://"+filepath.Join(dir, "podman.sock"))
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	orphanDone := make(chan error, 1)
	go func() { orphanDone <- orphan.Wait() }()
	if err := os.WriteFile(filepath.Join(dir, "podman.pid"), []byte(strconv.Itoa(orphan.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := waitForSocket(context.Background(), filepath.Join(dir, "podman.sock"), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	sock, stop, err := StartPodmanServiceWith(context.Background(), ServiceOptions{DataDir: dir, Root: root, RunRoot: runRoot,
		TmpDir: tmp, Logger: slog.New(slog.DiscardHandler), PingInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-orphanDone:
	case <-time.After(10 * time.Second):
		orphan.Process.Kill()
		t.Error("the orphaned service was not stopped")
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "containers.conf"))
	if !bytes.Equal(conf, ContainersConf) {
		t.Errorf("containers.conf in the data dir differs from the embedded one")
	}
	rt, err := NewPodmanRuntime(context.Background(), sock, testClusterID)
	if err != nil {
		t.Fatal(err)
	}
	first := servicePID(t, sock)
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "a new service answering after kill -9", func() (bool, string) {
		pid := servicePID(t, sock)
		if pid == 0 || pid == first {
			return false, "not restarted yet"
		}
		_, err := rt.List(context.Background())
		return err == nil, "list: " + errString(err)
	})
	// A deleted socket: the process lives on, unreachable; the supervisor
	// restarts it (hole 9).
	second := servicePID(t, sock)
	if err := os.Remove(strings.TrimPrefix(sock, "unix://")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "a new service answering after its socket was deleted", func() (bool, string) {
		pid := servicePID(t, sock)
		if pid == 0 || pid == second {
			return false, "not restarted yet"
		}
		_, err := rt.List(context.Background())
		return err == nil, "list: " + errString(err)
	})
	if err := pingUnixSocket(context.Background(), strings.TrimPrefix(sock, "unix://"), 5*time.Second); err != nil {
		t.Errorf("ping after the restart: %v", err)
	}
	second = servicePID(t, sock)
	stop()
	if err := syscall.Kill(second, 0); err == nil {
		if state, _ := os.ReadFile("/proc/" + strconv.Itoa(second) + "/stat"); !bytes.Contains(state, []byte(") Z")) {
			t.Errorf("service %d still runs after stop", second)
		}
	}
}

// servicePID finds the service serving sock by its command line (the socket
// path is unique to this test).
func servicePID(t *testing.T, sock string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(cmdline, []byte("system\x00service")) && bytes.Contains(cmdline, []byte(sock)) {
			return pid
		}
	}
	return 0
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
