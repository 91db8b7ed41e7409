package main

// The end-to-end harness: the real binary, a real Podman service with its
// own storage, real git repos, and `reconcile get -o json` as the user's
// view. Tests poll with deadlines; they never sleep and hope.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/podmantest"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// env is shared by every end-to-end test of the package: built once.
var env struct {
	once       sync.Once
	err        error
	bin        string // the reconcile binary
	dir        string
	sock       string // podman service socket URL
	podman     []string
	stopSvc    func()
	podmanOnce sync.Once
}

func TestMain(m *testing.M) {
	// `up` and `controller` write the user's client config when there is
	// none: keep every process of the tests away from the real one.
	xdg, err := os.MkdirTemp("", "reconcile-e2e-config-")
	if err == nil {
		os.Setenv("XDG_CONFIG_HOME", xdg)
		defer os.RemoveAll(xdg)
	}
	code := m.Run()
	if env.stopSvc != nil {
		env.stopSvc()
	}
	if env.dir != "" {
		podmantest.RemoveStorage(env.dir)
	}
	if xdg != "" {
		os.RemoveAll(xdg)
	}
	os.Exit(code)
}

// needE2E skips when end-to-end tests cannot run here (not root, no
// podman, -short) and otherwise prepares the binary, Podman and images.
func needE2E(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("end-to-end test needs root (Podman pods, iptables); run `sudo make test`")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("end-to-end test needs podman: run `make setup`")
	}
	needE2EBinary(t)
	env.podmanOnce.Do(setupPodman)
	if env.err != nil {
		t.Fatalf("end-to-end setup: %v", env.err)
	}
}

// needE2EBinary builds the binary once; for tests that need no Podman.
func needE2EBinary(t testing.TB) {
	t.Helper()
	env.once.Do(buildBinary)
	if env.err != nil {
		t.Fatalf("end-to-end setup: %v", env.err)
	}
}

func buildBinary() {
	dir, err := os.MkdirTemp("", "reconcile-e2e-")
	if err != nil {
		env.err = err
		return
	}
	env.dir = dir
	env.bin = filepath.Join(dir, "reconcile")
	if out, err := exec.Command("go", "build", "-o", env.bin, ".").CombinedOutput(); err != nil {
		env.err = fmt.Errorf("build reconcile: %v\n%s", err, out)
	}
}

func setupPodman() {
	dir := env.dir
	conf := filepath.Join(dir, "containers.conf")
	os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n[engine]\nruntime = \"runc\"\n"), 0o644)
	root, runroot := filepath.Join(dir, "root"), filepath.Join(dir, "runroot")
	env.podman = []string{"--root", root, "--runroot", runroot, "--cgroup-manager", "cgroupfs"}
	sockPath := filepath.Join(dir, "podman.sock")
	env.sock = "unix://" + sockPath
	regConf, err := insecureTestRegistry(dir)
	if err != nil {
		env.err = err
		return
	}
	svc := exec.Command("podman", append(append([]string{}, env.podman...), "system", "service", "--time=0", env.sock)...)
	svc.Env = append(os.Environ(), "CONTAINERS_CONF="+conf, "CONTAINERS_REGISTRIES_CONF="+regConf)
	svc.Dir = dir // conmon drops an "oom" file into its working directory on an OOM kill
	svc.Stdout, svc.Stderr = os.Stderr, os.Stderr
	if err := svc.Start(); err != nil {
		env.err = fmt.Errorf("start podman service: %w", err)
		return
	}
	env.stopSvc = func() {
		cleanupPodman()
		svc.Process.Signal(os.Interrupt)
		svc.Wait()
	}
	if err := testkit.Poll(10*time.Second, func() error { _, err := os.Stat(sockPath); return err }); err != nil {
		env.err = fmt.Errorf("podman service did not start: %w", err)
		return
	}
	for _, v := range []string{"v1", "v2"} {
		if err := buildHello(conf, v); err != nil {
			env.err = err
			return
		}
	}
}

// buildHello builds the demo image into the test's Podman storage.
func buildHello(conf, version string) error {
	ctx := filepath.Join(env.dir, "hello-"+version)
	os.MkdirAll(ctx, 0o755)
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", filepath.Join(ctx, "hello"), "../../examples/hello")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build hello: %v\n%s", err, out)
	}
	cf, _ := os.ReadFile("../../examples/hello/Containerfile")
	os.WriteFile(filepath.Join(ctx, "Containerfile"), cf, 0o644)
	cmd := exec.Command("podman", append(append([]string{}, env.podman...), "build", "-q", "-t", "localhost/reconcile-hello:"+version, ctx)...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("podman build: %v\n%s", err, out)
	}
	return nil
}

// podmanCmd runs podman against the test's storage and returns stdout.
func podmanCmd(args ...string) (string, error) {
	cmd := exec.Command("podman", append(append([]string{}, env.podman...), args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return "", fmt.Errorf("podman %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func cleanupPodman() {
	podmanCmd("pod", "rm", "-f", "-a")
}

// psContainers returns the IDs of running managed containers, by pod label.
func psContainers(t testing.TB) map[string]string {
	t.Helper()
	out, err := podmanCmd("ps", "--no-trunc", "--filter", "label=reconcile.container", "--format", "{{.ID}} {{.Labels}}")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			ids[f[0]] = line
		}
	}
	return ids
}

// cluster is one `reconcile up` process with its data dir and repo.
type cluster struct {
	t      testing.TB
	data   string
	repo   string
	server string
	procs  map[string]*exec.Cmd
	log    *bytes.Buffer
	logMu  sync.Mutex
	plain  bool // the API serves plain HTTP (--insecure-plain-http, the TLS cost benchmark only)
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newCluster makes a git repo with files and starts `reconcile up` on it
// (extra: more flags of up).
func newCluster(t testing.TB, files map[string]string, extra ...string) *cluster {
	needE2E(t)
	c := prepareCluster(t, files)
	for _, a := range extra {
		c.plain = c.plain || a == "--insecure-plain-http"
	}
	c.startProc("up", append([]string{"up", "--repo", c.repo, "--data", c.data, "--podman", env.sock, "--listen", c.server, "--node", "e2e-node"}, extra...)...)
	c.waitServer()
	return c
}

// newSplitCluster runs the controller and the agent as two processes.
func newSplitCluster(t testing.TB, files map[string]string) *cluster {
	needE2E(t)
	c := prepareCluster(t, files)
	c.startProc("controller", "controller", "--repo", c.repo, "--data", c.data, "--listen", c.server)
	c.waitServer()
	c.startAgent()
	return c
}

func (c *cluster) startAgent() {
	conf := c.nodeCredentials("e2e-node")
	c.startProc("agent", "agent", "--config-file", conf, "--node", "e2e-node", "--podman", env.sock, "--data", filepath.Join(c.data, "agent"))
}

// nodeCredentials issues node name's client config with `reconcile node
// credentials` (run where DATA/pki is, as an operator provisions a node
// offline) and returns the file; args add --node-ip, --server.
func (c *cluster) nodeCredentials(name string, args ...string) string {
	c.t.Helper()
	out, err := runBin(append([]string{"node", "credentials", name, "--data", c.data}, args...)...)
	if err != nil {
		c.t.Fatalf("node credentials for %s: %v", name, err)
	}
	path := filepath.Join(c.data, "node-"+name+".conf")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return path
}

func prepareCluster(t testing.TB, files map[string]string) *cluster {
	c := &cluster{t: t, data: t.TempDir(), repo: t.TempDir(), log: &bytes.Buffer{}, procs: map[string]*exec.Cmd{}}
	c.server = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	testkit.Run(t, c.repo, "init", "-q", "-b", "main")
	c.commit("initial", files)
	t.Cleanup(func() {
		c.stop()
		cleanupNodeRules(t)
		cleanupPodman()
		if t.Failed() {
			t.Logf("reconcile up log:\n%s", c.logs())
		}
	})
	return c
}

// cleanupNodeRules removes the rules a stopped agent leaves in the host's
// tables (the service rules stay when it stops, as kube-proxy's).
func cleanupNodeRules(t testing.TB) {
	if out, err := exec.Command(env.bin, "agent", "--cleanup").CombinedOutput(); err != nil {
		t.Logf("reconcile agent --cleanup: %v %s", err, out)
	}
}

// startProc starts the binary as a named process of this cluster.
func (c *cluster) startProc(name string, args ...string) { c.startBinProc(name, env.bin, args...) }

// startBinProc starts bin (reconcile, or the node binary reconcile-agent,
// whose commands are the same) as a named process of this cluster.
func (c *cluster) startBinProc(name, bin string, args ...string) {
	cmd := exec.Command(bin, withoutMetrics(args)...)
	cmd.Stdout, cmd.Stderr = c, c
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs[name] = cmd
}

func (c *cluster) waitServer() {
	if err := testkit.Poll(20*time.Second, func() error { _, err := c.run("get", "nodes"); return err }); err != nil {
		c.t.Fatalf("controller did not come up: %v\n%s", err, c.logs())
	}
}

// stop interrupts every process (agents first) and waits for them.
func (c *cluster) stop() {
	for _, name := range []string{"agent", "up", "controller"} {
		cmd := c.procs[name]
		if cmd == nil || cmd.Process == nil || cmd.ProcessState != nil {
			continue
		}
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
}

func (c *cluster) Write(p []byte) (int, error) {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	return c.log.Write(p)
}

func (c *cluster) logs() string {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	return c.log.String()
}

// run runs the CLI against this cluster and returns stdout. The CLI finds
// the server and the token in the cluster's DATA/admin.conf.
func (c *cluster) run(args ...string) (string, error) {
	server := c.server // https:// by default
	if c.plain {
		server = "http://" + c.server
	}
	return runBin(append(args, "--config-file", c.adminConfig(), "--server", server)...)
}

// adminConfig is the client config `up` and `controller` write.
func (c *cluster) adminConfig() string { return filepath.Join(c.data, "admin.conf") }

// authorize adds the cluster's admin token to a raw API request.
func (c *cluster) authorize(req *http.Request) *http.Request {
	c.t.Helper()
	req.Header.Set("Authorization", "Bearer "+c.adminClientConfig().Token)
	return req
}

// url is the API's URL for path (https: the controller serves TLS).
func (c *cluster) url(path string) string { return "https://" + c.server + path }

// httpClient is an HTTP client that trusts the cluster CA (from
// DATA/admin.conf) and presents nothing: raw requests add the token with
// authorize.
func (c *cluster) httpClient() *http.Client {
	c.t.Helper()
	cfg := c.adminClientConfig()
	cfg.ClientCertificate, cfg.ClientKey = "", ""
	tc, err := cfg.TLSConfig()
	if err != nil {
		c.t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
}

func (c *cluster) adminClientConfig() *clientconfig.Config {
	c.t.Helper()
	cfg, err := clientconfig.Load(c.adminConfig())
	if err != nil {
		c.t.Fatal(err)
	}
	return cfg
}

// api is an API client with the cluster's admin config (CA, certificate,
// token).
func (c *cluster) api() *apiclient.Client {
	c.t.Helper()
	cfg := c.adminClientConfig()
	if c.plain {
		return apiclient.New("http://"+c.server, cfg.Token)
	}
	tc, err := cfg.TLSConfig()
	if err != nil {
		c.t.Fatal(err)
	}
	return apiclient.NewTLS(c.server, cfg.Token, tc)
}

// runBin runs the binary, returning stdout and an error carrying stderr and the exit code.
func runBin(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.bin, withoutMetrics(args)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("reconcile %s: %w: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// commit writes files (an empty content deletes the file) and commits.
func (c *cluster) commit(msg string, files map[string]string) string {
	for name, content := range files {
		p := filepath.Join(c.repo, name)
		if content == "" {
			os.Remove(p)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			c.t.Fatal(err)
		}
	}
	testkit.Run(c.t, c.repo, "add", "-A")
	testkit.Run(c.t, c.repo, "commit", "-q", "--allow-empty", "-m", msg)
	return testkit.Run(c.t, c.repo, "rev-parse", "HEAD")
}

// pods returns the pods of namespace as `reconcile get pods -o json` shows them.
func (c *cluster) pods(ns string) []corev1.Pod {
	out, err := c.run("get", "pods", "-n", ns, "-o", "json")
	if err != nil {
		c.t.Fatal(err)
	}
	var l struct{ Items []corev1.Pod }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		c.t.Fatalf("decode get pods: %v\n%s", err, out)
	}
	return l.Items
}

// runningPods returns the pods that report phase Running with every container running.
func runningPods(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) != len(p.Spec.Containers) {
			continue
		}
		ok := true
		for _, s := range p.Status.ContainerStatuses {
			ok = ok && s.State.Running != nil && s.ContainerID != ""
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

func (c *cluster) eventually(d time.Duration, what string, fn func() error) {
	c.t.Helper()
	if err := testkit.Poll(d, fn); err != nil {
		c.t.Fatalf("%s: %v\nreconcile up log (tail):\n%s", what, err, tail(c.logs(), 40))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// withoutMetrics turns off the metrics endpoints of a long-running command
// (up, controller, agent, join) unless the test names an address: their
// default ports (127.0.0.1:7421, 7422) are one per host, and e2e tests run
// side by side. TestE2EPrometheus picks free ports itself.
func withoutMetrics(args []string) []string {
	if len(args) == 0 {
		return args
	}
	flags := map[string][]string{"up": {"--metrics-listen", "--agent-metrics-listen"}, "controller": {"--metrics-listen"},
		"agent": {"--metrics-listen"}, "join": {"--metrics-listen"}}[args[0]]
	out := slices.Clone(args)
	for _, f := range flags {
		if !slices.ContainsFunc(args, func(a string) bool { return a == f || strings.HasPrefix(a, f+"=") }) {
			out = append(out, f+"=0")
		}
	}
	return out
}
