package scalebench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// process is one subprocess of the benchmark (the controller, a
// simulator), its output in a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

// startProcess runs bin with args, its output to logPath. The process is
// not tied to ctx: stop ends it (the benchmark stops a simulator on
// purpose in the node-loss phase and reads the controller's /proc after
// each phase).
func startProcess(name, bin, logPath string, args ...string) (*process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Dir(logPath)) // never the user's client config
	// A benchmark killed outright takes its controller and simulators with
	// it instead of leaving thousands of nodes heartbeating.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { cmd.Wait(); log.Close(); close(p.done) }()
	return p, nil
}

// pid is the process's id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill ends the process at once, as a host that dies.
func (p *process) kill() {
	if p == nil || p.exited() {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

// freeAddr returns a loopback address with a port free now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// hasFlag reports whether `bin cmd --help` names flag.
func hasFlag(ctx context.Context, bin, cmd, flag string) bool {
	out, _ := exec.CommandContext(ctx, bin, cmd, "--help").CombinedOutput()
	return bytes.Contains(out, []byte("--"+flag+" "))
}

// git runs git in dir with a fixed identity.
func git(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "user.name=scalebench", "-c", "user.email=scalebench@reconcile.invalid", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s in %s: %v: %s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}

// commitFiles writes files into repo (removing nothing) and commits them.
func commitFiles(ctx context.Context, repo, message string, files map[string]string) error {
	for name, data := range files {
		path := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			return err
		}
	}
	if err := git(ctx, repo, "add", "-A"); err != nil {
		return err
	}
	return git(ctx, repo, "commit", "-q", "--allow-empty", "-m", message)
}

// tail is the last n lines of a file (for errors naming why a process
// stopped).
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
