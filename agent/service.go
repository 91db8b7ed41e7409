package agent

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// ContainersConf is the project's containers.conf (runc, lowered ulimits).
//
//go:embed containers.conf
var ContainersConf []byte

// ServiceOptions configure a supervised `podman system service`.
type ServiceOptions struct {
	DataDir string // the socket and containers.conf go here
	// Root, RunRoot and TmpDir isolate the service's storage (tests); empty
	// means Podman's defaults, so `podman ps` on the host sees the pods.
	Root, RunRoot, TmpDir string
	Podman                string       // the podman binary; default "podman" from PATH
	Output                io.Writer    // the service's stdout/stderr; default discarded
	Logger                *slog.Logger // default slog.Default()
	// PingInterval is how often the supervisor checks that the socket
	// exists and answers GET /_ping within PingTimeout (defaults 2 s, 5 s).
	PingInterval, PingTimeout time.Duration
}

// StartPodmanService starts `podman system service --time=0` on
// unix://<dataDir>/podman.sock with the embedded containers.conf, waits until
// the socket answers, and restarts the service whenever it dies. stop ends it.
func StartPodmanService(ctx context.Context, dataDir string) (sockURL string, stop func(), err error) {
	return StartPodmanServiceWith(ctx, ServiceOptions{DataDir: dataDir})
}

// StartPodmanServiceWith is StartPodmanService with all options.
func StartPodmanServiceWith(ctx context.Context, o ServiceOptions) (string, func(), error) {
	if o.Podman == "" {
		o.Podman = "podman"
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PingInterval == 0 {
		o.PingInterval = 2 * time.Second
	}
	if o.PingTimeout == 0 {
		o.PingTimeout = 5 * time.Second
	}
	bin, err := exec.LookPath(o.Podman)
	if err != nil {
		return "", nil, fmt.Errorf("podman not found (%v): install it (apt-get install podman runc) or pass --podman unix:///path/to/podman.sock", err)
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return "", nil, err
	}
	conf := filepath.Join(o.DataDir, "containers.conf")
	if err := os.WriteFile(conf, ContainersConf, 0o644); err != nil {
		return "", nil, fmt.Errorf("writing %s: %w", conf, err)
	}
	sock := filepath.Join(o.DataDir, "podman.sock")
	if len(sock) > 100 {
		return "", nil, fmt.Errorf("socket path %s is too long for a unix socket (max ~100 bytes): use a shorter data directory", sock)
	}
	args := []string{}
	for flag, v := range map[string]string{"--root": o.Root, "--runroot": o.RunRoot, "--tmpdir": o.TmpDir} {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	args = append(args, "system", "service", "--time=0", "unix://"+sock)
	pidFile := filepath.Join(o.DataDir, "podman.pid")
	stopOrphan(pidFile, sock, o.Logger)
	start := func() (*exec.Cmd, error) {
		os.Remove(sock) // a stale socket from a killed service would refuse connections
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		// conmon (2.1 on cgroup v1) writes an "oom" file into the working
		// directory it inherits when the OOM killer strikes: keep that in
		// the data directory, not wherever the agent was started.
		cmd.Dir = o.DataDir
		cmd.Stdout, cmd.Stderr = o.Output, o.Output
		// Its own process group: a Ctrl-C to the agent does not kill the
		// service before the agent has stopped using it.
		// Pdeathsig: a service whose agent died (kill -9) ends too.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
		if err := cmd.Start(); err != nil {
			return cmd, err
		}
		os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
		return cmd, nil
	}
	cmd, err := start()
	if err != nil {
		return "", nil, fmt.Errorf("starting %s %v: %w", bin, args, err)
	}
	if err := waitForSocket(ctx, sock, 30*time.Second); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("podman system service did not answer on %s: %w (run it by hand to see why: CONTAINERS_CONF=%s %s %v)", sock, err, conf, bin, args)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { // supervise: restart the service when it dies, loses its socket or stops answering
		defer close(done)
		tick := time.NewTicker(o.PingInterval)
		defer tick.Stop()
		backoff := restartBackoff
		for {
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }()
			stopService := func(grace time.Duration) {
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(grace):
					cmd.Process.Kill()
					<-exited
				}
			}
			failures := 0
		watch:
			for {
				select {
				case <-sctx.Done():
					stopService(10 * time.Second)
					return
				case <-exited:
					o.Logger.Warn("podman system service exited; restarting it", "state", cmd.ProcessState.String())
					break watch
				case <-tick.C:
					_, sockErr := os.Stat(sock)
					var pingErr error
					if sockErr == nil {
						pingErr = pingUnixSocket(sctx, sock, o.PingTimeout)
					}
					restart, why, n := serviceHealth(sockErr, pingErr, failures)
					failures = n
					if restart && sctx.Err() == nil {
						o.Logger.Warn("restarting podman system service: "+why, "socket", sock)
						stopService(3 * time.Second) // it is not serving anyway; containers live on in conmon
						break watch
					}
				}
			}
			if !ctxwait.Sleep(sctx, backoff.Step()) {
				return
			}
			c, err := start()
			if err != nil {
				o.Logger.Error("restarting podman system service failed", "err", err)
				continue
			}
			cmd = c
			// Health checks resume once the new service answers (or gave up
			// starting: then the next check restarts it again).
			if err := waitForSocket(sctx, sock, 30*time.Second); err != nil && sctx.Err() == nil {
				o.Logger.Error("restarted podman system service does not answer", "socket", sock, "err", err)
			} else if sctx.Err() == nil {
				o.Logger.Info("podman system service restarted", "socket", sock)
				backoff = restartBackoff
			}
		}
	}()
	stop := func() { cancel(); <-done }
	return "unix://" + sock, stop, nil
}

// stopOrphan ends a service a previous agent started on the same socket and
// could not stop (it was killed): the pid file names it, and its command
// line must still name our socket, so no unrelated process is touched.
// Containers keep running: conmon, not the service, watches them.
func stopOrphan(pidFile, sock string, log *slog.Logger) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "unix://"+sock) {
		return
	}
	log.Warn("stopping the podman service a previous agent left running", "pid", pid)
	syscall.Kill(pid, syscall.SIGTERM)
	gone := func(context.Context) (bool, error) {
		if syscall.Kill(pid, 0) != nil {
			return true, nil
		}
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return strings.Contains(string(st), ") Z"), nil // a zombie of a parent that is gone; init reaps it
	}
	if wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 5*time.Second, true, gone) != nil {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// restartBackoff spaces the restarts of a podman service that keeps
// dying: 1 s, doubling up to 30 s; a restart that answers starts it over.
var restartBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Steps: math.MaxInt32, Cap: 30 * time.Second}

func waitForSocket(ctx context.Context, sock string, limit time.Duration) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, limit, true, func(context.Context) (bool, error) {
		c, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			last = err
			return false, nil
		}
		c.Close()
		return true, nil
	})
	if err != nil && ctx.Err() == nil && last != nil {
		return last // timed out: say why the socket did not answer
	}
	return err
}
