package store

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holdEnv makes the test binary, run as a child, open the store in the
// directory it names and hold it until killed.
const holdEnv = "RECONCILE_STORE_TEST_HOLD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(writerEnv); spec != "" {
		runChildWriter(spec)
	}
	if dir := os.Getenv(holdEnv); dir != "" {
		st, err := Open(dir)
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		_ = st
		os.Stdout.WriteString("ready\n")
		select {}
	}
	code := m.Run()
	stopSharedEtcd()
	os.Exit(code)
}

// holdLock starts a child process holding the lock of dir.
func holdLock(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("child did not open the store: %q", line)
	}
	return cmd
}

func TestOpenAfterKill9Succeeds(t *testing.T) {
	dir := t.TempDir()
	child := holdLock(t, dir)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// At once: the child may still be exiting; Open waits for its lock.
	st, err := OpenWith(dir, Options{LockWait: 20 * time.Second})
	if err != nil {
		t.Fatalf("open right after kill -9: %v", err)
	}
	st.Close()
}

func TestOpenWhileALiveProcessHoldsTheLockFailsAfterTheBound(t *testing.T) {
	dir := t.TempDir()
	child := holdLock(t, dir)
	_, err := OpenWith(dir, Options{LockWait: time.Second})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	for _, want := range []string{dir, "kill", "--data"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !strings.Contains(err.Error(), "process "+itoa(child.Process.Pid)) {
		t.Errorf("error %q does not name the holder %d", err, child.Process.Pid)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
