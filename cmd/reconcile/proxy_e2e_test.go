package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/podmantest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// The service proxy end to end: a whole cluster (`reconcile up`, its own
// Podman service and storage) runs inside a private network namespace, so
// the rules it writes, the pods and every request stay inside it and the
// host's tables stay clean. The namespace has a dummy interface with a
// documentation address (192.0.2.1, the "node address") and a default
// route into it, which only discards: a request to a ClusterIP that had
// no rule would go nowhere.

// pxNode is the namespace, its Podman service and its `reconcile up`.
type pxNode struct {
	t       *testing.T
	netns   string
	dir     string
	repo    string
	conf    string
	podman  []string
	sock    string
	server  string
	up      *exec.Cmd
	log     *bytes.Buffer
	podmanC *exec.Cmd
}

const pxNodeIP = "192.0.2.1"

func (n *pxNode) in(args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"--net=/run/netns/" + n.netns}, args...)...)
}

// run runs a command in the namespace, returning its output.
func (n *pxNode) run(args ...string) (string, error) {
	out, err := n.in(args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// cli runs `reconcile ARGS --server` against the cluster in the namespace.
func (n *pxNode) cli(args ...string) (string, error) {
	cmd := n.in(append([]string{env.bin}, append(args, "--server", n.server, "--config-file", filepath.Join(n.dir, "data", "admin.conf"))...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("reconcile %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func newPxNode(t *testing.T, repo string) *pxNode {
	needE2E(t)
	n := &pxNode{t: t, netns: fmt.Sprintf("rcpx-%d", os.Getpid()), log: &bytes.Buffer{}}
	exec.Command("ip", "netns", "del", n.netns).Run() // left by a killed run with the same pid
	if out, err := exec.Command("ip", "netns", "add", n.netns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.netns).Run() })
	for _, c := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", "node0", "type", "veth", "peer", "name", "sink0"},
		{"ip", "addr", "add", pxNodeIP + "/24", "dev", "node0"},
		{"ip", "link", "set", "node0", "up"},
		{"ip", "link", "set", "sink0", "up"},
		{"ip", "route", "add", "default", "dev", "node0"},
	} {
		if out, err := n.run(c...); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}

	// Own Podman: storage, network config and default subnet.
	n.dir = t.TempDir()
	n.conf = filepath.Join(n.dir, "containers.conf")
	os.WriteFile(n.conf, []byte(fmt.Sprintf(`[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
[network]
network_config_dir = %q
default_subnet = "10.89.77.0/24"
`, filepath.Join(n.dir, "networks"))), 0o644)
	n.podman = []string{"--root", filepath.Join(n.dir, "root"), "--runroot", filepath.Join(n.dir, "runroot"), "--cgroup-manager", "cgroupfs"}
	sock := filepath.Join(n.dir, "podman.sock")
	n.sock = "unix://" + sock
	n.podmanC = n.in(append(append([]string{"podman"}, n.podman...), "system", "service", "--time=0", n.sock)...)
	n.podmanC.Env = append(os.Environ(), "CONTAINERS_CONF="+n.conf)
	n.podmanC.Stdout, n.podmanC.Stderr = n.log, n.log
	if err := n.podmanC.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.podmanCmd("pod", "rm", "-f", "-a")
		n.podmanC.Process.Signal(os.Interrupt)
		n.podmanC.Wait()
		podmantest.RemoveStorage(n.dir) // never `system reset`: it removes host-wide state too
	})
	if err := testkit.Poll(20*time.Second, func() error { _, err := os.Stat(sock); return err }); err != nil {
		t.Fatalf("podman service did not start: %v\n%s", err, n.logs())
	}
	ctxDir := filepath.Join(n.dir, "hello")
	os.MkdirAll(ctxDir, 0o755)
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=v1", "-o", filepath.Join(ctxDir, "hello"), "../../examples/hello")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build hello: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte("FROM scratch\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n"), 0o644)
	if out, err := n.podmanCmd("build", "-q", "-t", "localhost/reconcile-hello:v1", ctxDir); err != nil {
		t.Fatalf("podman build: %v\n%s", err, out)
	}

	n.server = "127.0.0.1:7420"
	n.repo = repo
	n.startUp()
	t.Cleanup(func() {
		n.up.Process.Signal(os.Interrupt)
		n.up.Wait()
		if t.Failed() {
			t.Logf("log:\n%s", tail(n.logs(), 200))
		}
	})
	return n
}

// startUp starts `reconcile up` in the namespace with extra flags and
// waits for its API.
func (n *pxNode) startUp(extra ...string) {
	t := n.t
	args := []string{env.bin, "up", "--repo", n.repo, "--data", filepath.Join(n.dir, "data"), "--podman", n.sock, "--listen", n.server, "--node", "px-node"}
	if help, _ := exec.Command(env.bin, "up", "--help").Output(); bytes.Contains(help, []byte("--pod-network")) {
		args = append(args, "--pod-network=") // Podman's default network: this test is about the proxy
	}
	n.up = n.in(append(args, extra...)...)
	n.up.Stdout, n.up.Stderr = n, n
	if err := n.up.Start(); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Poll(30*time.Second, func() error { _, err := n.cli("get", "nodes"); return err }); err != nil {
		t.Fatalf("controller did not come up: %v\n%s", err, n.logs())
	}
}

func (n *pxNode) Write(p []byte) (int, error) { return n.log.Write(p) }
func (n *pxNode) logs() string                { return n.log.String() }

func (n *pxNode) podmanCmd(args ...string) (string, error) {
	cmd := exec.Command("podman", append(append([]string{}, n.podman...), args...)...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+n.conf)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// natRules is the namespace's nat table as iptables-save shows it.
func (n *pxNode) natRules() string {
	out, _ := n.run("iptables-save", "-t", "nat")
	return out
}

// endpointsIn counts the DNAT targets of the service's SVC chain.
func endpointsIn(nat, service string) int {
	re := regexp.MustCompile(`-A (RECONCILE-SVC-\S+) .*--comment "` + regexp.QuoteMeta(service) + ` -> `)
	return len(re.FindAllString(nat, -1))
}

// hits asks url n times from the node (a new connection each time, via
// the OUTPUT hook) and counts the answers per pod name.
func (n *pxNode) hits(url string, times int) (map[string]int, error) {
	script := fmt.Sprintf(`for i in $(seq %d); do curl -s -m 2 %s || echo FAILED; done`, times, url)
	out, err := n.run("sh", "-c", script)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "hello" {
			counts[f[2]]++
		} else {
			counts["FAILED"]++
		}
	}
	return counts, nil
}

const pxServices = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: e2e
spec:
  selector: {app: web}
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: v1
kind: Service
metadata:
  name: web-np
  namespace: e2e
spec:
  type: NodePort
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
      nodePort: 30080
---
apiVersion: v1
kind: Service
metadata:
  name: nobody
  namespace: e2e
spec:
  selector: {app: nobody}
  ports:
    - port: 80
`

// pxDeployment is hello with a readiness probe on /ready; failReady makes
// every pod fail it.
func pxDeployment(name string, replicas int, failReady bool) string {
	env := ""
	if failReady {
		env = "          env:\n            - {name: FAIL_READY, value: \"1\"}\n"
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: e2e
spec:
  replicas: %d
  selector:
    matchLabels: {app: web, deployment: %s}
  template:
    metadata:
      labels: {app: web, deployment: %s}
    spec:
      containers:
        - name: hello
          image: localhost/reconcile-hello:v1
          imagePullPolicy: Never
          ports:
            - {name: http, containerPort: 8080}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 1
%s`, name, replicas, name, name, env)
}

func pxRepo(t *testing.T, files map[string]string) string {
	repo := t.TempDir()
	testkit.Run(t, repo, "init", "-q", "-b", "main")
	pxCommit(t, repo, "initial", files)
	return repo
}

func pxCommit(t *testing.T, repo, msg string, files map[string]string) {
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Run(t, repo, "add", "-A")
	testkit.Run(t, repo, "commit", "-q", "-m", msg)
}

func (n *pxNode) readyPods(deployment string) []string {
	out, err := n.cli("get", "pods", "-n", "e2e", "-o", "wide")
	if err != nil {
		return nil
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && strings.HasPrefix(f[0], deployment+"-") && f[1] == "1/1" && f[2] == "Running" {
			names = append(names, f[0])
		}
	}
	return names
}

// readyEndpoints counts the ready addresses of a Service's Endpoints.
func (n *pxNode) readyEndpoints(name string) int {
	out, err := n.cli("get", "endpoints", name, "-n", "e2e", "-o", "json")
	if err != nil {
		return -1
	}
	var ep corev1.Endpoints
	if json.Unmarshal([]byte(out), &ep) != nil {
		return -1
	}
	c := 0
	for _, ss := range ep.Subsets {
		c += len(ss.Addresses)
	}
	return c
}

func (n *pxNode) eventually(d time.Duration, what string, fn func() error) {
	n.t.Helper()
	if err := testkit.Poll(d, fn); err != nil {
		n.t.Fatalf("%s: %v", what, err)
	}
}

// TestE2EServiceProxy: a 3-replica Service by ClusterIP from the node
// (300 requests reach all three backends), a pod failing readiness gets
// no traffic, scaling to 1 and back shows in the kernel's rules, the
// NodePort answers on the node address, the rules stay when the agent
// stops and `reconcile agent --cleanup` removes them.
func TestE2EServiceProxy(t *testing.T) {
	files := map[string]string{
		"namespace.yaml": e2eNamespace,
		"web.yaml":       pxDeployment("web", 3, false),
		"unready.yaml":   pxDeployment("unready", 1, true),
		"services.yaml":  pxServices,
	}
	repo := pxRepo(t, files)
	n := newPxNode(t, repo)

	var web []string
	n.eventually(60*time.Second, "three ready web pods", func() error {
		if web = n.readyPods("web"); len(web) != 3 {
			return fmt.Errorf("ready: %v", web)
		}
		return nil
	})
	var clusterIP string
	n.eventually(30*time.Second, "web's clusterIP and 3 endpoints in the rules", func() error {
		s := &corev1.Service{}
		out, err := n.cli("get", "service", "web", "-n", "e2e", "-o", "json")
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(out), s); err != nil || s.Spec.ClusterIP == "" {
			return fmt.Errorf("no clusterIP yet: %v", err)
		}
		clusterIP = s.Spec.ClusterIP
		if got := endpointsIn(n.natRules(), "e2e/web:http"); got != 3 {
			return fmt.Errorf("%d endpoints in the rules, want 3", got)
		}
		return nil
	})
	eps, _ := n.cli("get", "endpoints", "-n", "e2e")
	t.Logf("clusterIP %s; reconcile get endpoints:\n%s", clusterIP, eps)

	// 300 requests by ClusterIP: all three answer, the unready pod never.
	counts, err := n.hits("http://"+clusterIP+"/", 300)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("300 requests to %s: %v", clusterIP, counts)
	for _, p := range web {
		if counts[p] == 0 {
			t.Errorf("backend %s got no request: %v", p, counts)
		}
	}
	if counts["FAILED"] > 0 {
		t.Errorf("%d requests failed: %v", counts["FAILED"], counts)
	}
	for name := range counts {
		if strings.HasPrefix(name, "unready-") {
			t.Errorf("the pod failing readiness got traffic: %v", counts)
		}
	}
	if out, _ := n.cli("get", "endpoints", "web", "-n", "e2e", "-o", "json"); !strings.Contains(out, "notReadyAddresses") {
		t.Errorf("the unready pod is not in notReadyAddresses:\n%s", out)
	}

	// A service without endpoints is rejected at once (curl exit code 7,
	// "connection refused"), not left to time out (28).
	var nobody corev1.Service
	if out, err := n.cli("get", "service", "nobody", "-n", "e2e", "-o", "json"); err != nil || json.Unmarshal([]byte(out), &nobody) != nil {
		t.Fatalf("service nobody: %v", err)
	}
	n.eventually(30*time.Second, "a REJECT rule for the service without endpoints", func() error {
		filter, _ := n.run("iptables-save", "-t", "filter")
		if !strings.Contains(filter, "-d "+nobody.Spec.ClusterIP+"/32") || !strings.Contains(filter, "e2e/nobody has no endpoints") {
			return fmt.Errorf("no REJECT rule for %s:\n%s", nobody.Spec.ClusterIP, filter)
		}
		return nil
	})
	err = n.in("curl", "-s", "-m", "10", "http://"+nobody.Spec.ClusterIP+"/").Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Errorf("curl to a service without endpoints: %v, want exit code 7 (connection refused)", err)
	}

	// NodePort on the node address.
	np, err := n.hits("http://"+pxNodeIP+":30080/", 30)
	if err != nil || np["FAILED"] > 0 || len(np) == 0 {
		t.Errorf("NodePort %s:30080: %v %v", pxNodeIP, np, err)
	}

	// Scale to 1 and back: the rules follow. The loop polls the Endpoints
	// and the kernel's rules alternately and logs when each showed the new
	// count: the gap is how long the proxy took (asserting on it would
	// make the test flaky; BENCHMARKS.md has the measured figures).
	for _, replicas := range []int{1, 3} {
		pxCommit(t, repo, fmt.Sprintf("scale to %d", replicas), map[string]string{"web.yaml": pxDeployment("web", replicas, false)})
		n.cli("sync")
		var epAt, rulesAt time.Time
		n.eventually(60*time.Second, fmt.Sprintf("endpoints and rules with %d backends", replicas), func() error {
			if epAt.IsZero() && n.readyEndpoints("web") == replicas {
				epAt = time.Now()
			}
			if rulesAt.IsZero() && endpointsIn(n.natRules(), "e2e/web:http") == replicas {
				rulesAt = time.Now()
			}
			if epAt.IsZero() || rulesAt.IsZero() {
				return fmt.Errorf("endpoints seen at %v, rules at %v", epAt, rulesAt)
			}
			return nil
		})
		t.Logf("scaled to %d: rules followed the Endpoints within %v (polling resolution ~%s)", replicas, max(rulesAt.Sub(epAt), 0).Round(time.Millisecond), "50ms")
		// Readiness may flap on a loaded machine (probe timeouts): retry
		// until 30 requests in a row all reach the current backends.
		n.eventually(30*time.Second, fmt.Sprintf("30 requests to %d backends", replicas), func() error {
			got, err := n.hits("http://"+clusterIP+"/", 30)
			if err != nil || got["FAILED"] > 0 || len(got) != replicas {
				eps, _ := n.cli("get", "endpoints", "web", "-n", "e2e")
				pods, _ := n.cli("get", "pods", "-n", "e2e", "-o", "wide")
				return fmt.Errorf("30 requests reached %v (%v); endpoints now:\n%s\npods:\n%s", got, err, eps, pods)
			}
			return nil
		})
	}

	// The agent leaves its rules in place when it stops (as kube-proxy):
	// the pods keep running, so their ClusterIPs keep answering.
	n.up.Process.Signal(os.Interrupt)
	n.up.Wait()
	if nat := n.natRules(); endpointsIn(nat, "e2e/web:http") != 3 {
		t.Errorf("the rules of e2e/web are gone after the agent stopped:\n%s", nat)
	}

	// The nftables mode on the same node and pods: `up` restarted with
	// --proxy-mode nftables removes the iptables mode's chains and serves
	// the ClusterIP, the NodePort and the reject of a service without
	// endpoints from table ip reconcile; its rules too stay when it stops.
	nftStart := time.Now()
	n.startUp("--proxy-mode", "nftables")
	n.eventually(60*time.Second, "web's 3 endpoints in table ip reconcile and no RECONCILE-* chains", func() error {
		if got := nftEndpointsIn(n.nftRules(), clusterIP, "tcp", 80); got != 3 {
			return fmt.Errorf("%d endpoints of e2e/web in table ip reconcile, want 3", got)
		}
		if nat := n.natRules(); strings.Contains(nat, "RECONCILE-") {
			return fmt.Errorf("the iptables mode's chains are still there:\n%s", nat)
		}
		return nil
	})
	n.eventually(60*time.Second, "30 requests by ClusterIP and NodePort through the nftables rules", func() error {
		for _, url := range []string{"http://" + clusterIP + "/", "http://" + pxNodeIP + ":30080/"} {
			if got, err := n.hits(url, 15); err != nil || got["FAILED"] > 0 || len(got) == 0 {
				return fmt.Errorf("%s: %v %v", url, got, err)
			}
		}
		return nil
	})
	if code := n.curlExit("http://" + nobody.Spec.ClusterIP + "/"); code != 7 {
		t.Errorf("nftables mode: curl to a service without endpoints exited %d, want 7 (connection refused)", code)
	}
	n.up.Process.Signal(os.Interrupt)
	n.up.Wait()
	if got := nftEndpointsIn(n.nftRules(), clusterIP, "tcp", 80); got != 3 {
		t.Errorf("table ip reconcile lost e2e/web after the agent stopped:\n%s", n.nftRules())
	}
	t.Logf("the nftables mode's checks took %v", time.Since(nftStart).Round(time.Second))

	// `reconcile agent --cleanup` removes what an agent killed without
	// cleaning up left behind (here written by hand), and nothing else;
	// the nftables table too, although --proxy-mode is iptables.
	left := "*nat\n:RECONCILE-SERVICES - [0:0]\n:RECONCILE-SVC-LEFTBEHIND00 - [0:0]\n:OTHER - [0:0]\n" +
		"-A RECONCILE-SERVICES -d 10.96.0.1/32 -j RECONCILE-SVC-LEFTBEHIND00\n-I OUTPUT 1 -m comment --comment \"reconcile service portals\" -j RECONCILE-SERVICES\n-A OUTPUT -j OTHER\nCOMMIT\n"
	restore := n.in("iptables-restore", "--noflush")
	restore.Stdin = strings.NewReader(left)
	if out, err := restore.CombinedOutput(); err != nil {
		t.Fatalf("writing leftover rules: %v %s", err, out)
	}
	if out, err := n.run(env.bin, "agent", "--cleanup"); err != nil {
		t.Fatalf("reconcile agent --cleanup: %v %s", err, out)
	}
	nat := n.natRules()
	if strings.Contains(nat, "RECONCILE-") || !strings.Contains(nat, "-A OUTPUT -j OTHER") {
		t.Errorf("after reconcile agent --cleanup:\n%s", nat)
	}
	if rules := n.nftRules(); rules != "" {
		t.Errorf("table ip reconcile after reconcile agent --cleanup:\n%s", rules)
	}
}

// nftRules is table ip reconcile as nft lists it ("" when there is none).
func (n *pxNode) nftRules() string {
	out, err := n.run("nft", "list", "table", "ip", "reconcile")
	if err != nil {
		return ""
	}
	return out
}

// nftEndpointsIn counts the endpoints of a ClusterIP's port in nft's
// listing of table ip reconcile.
func nftEndpointsIn(rules, clusterIP, proto string, port int) int {
	// A ClusterIP's endpoints are elements of map service-endpoints,
	// "IP . proto . port . index : endpoint . port".
	return len(regexp.MustCompile(regexp.QuoteMeta(fmt.Sprintf("%s . %s . %d . ", clusterIP, proto, port))+`\d+ : `).FindAllString(rules, -1))
}

// curlExit is curl's exit code for url from the node: 0 answered, 7
// connection refused (a REJECT), 28 timed out (the packet went out by the
// default route, into the namespace's sink, and nothing answered).
func (n *pxNode) curlExit(url string) int {
	err := n.in("curl", "-s", "-o", "/dev/null", "-m", "3", url).Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		n.t.Fatalf("curl %s: %v", url, err)
	}
	return 0
}

// TestE2EProxySIGTERM (issue 8, hole 6): a ClusterIP keeps
// answering from the node after `up` got SIGTERM and exited, while its
// pod runs on; an address of the service CIDR that no Service holds, a
// port the Service does not have and a Service without endpoints are
// rejected at once (curl exit code 7), before and after the stop, instead
// of leaving by the default route (a timeout here: the namespace's default
// route leads into a sink). `reconcile agent --cleanup` then removes the
// rules, and the same requests do leave by the default route: the
// rejects above came from the rules.
func TestE2EProxySIGTERM(t *testing.T) {
	repo := pxRepo(t, map[string]string{
		"namespace.yaml": e2eNamespace,
		"web.yaml":       pxDeployment("web", 1, false),
		"services.yaml":  pxServices,
	})
	n := newPxNode(t, repo)
	clusterIPs := map[string]string{}
	n.eventually(90*time.Second, "a ready web pod, the services' ClusterIPs and the web endpoint in the rules", func() error {
		if web := n.readyPods("web"); len(web) != 1 {
			return fmt.Errorf("ready web pods: %v", web)
		}
		for _, name := range []string{"web", "nobody"} {
			var s corev1.Service
			out, err := n.cli("get", "service", name, "-n", "e2e", "-o", "json")
			if err != nil || json.Unmarshal([]byte(out), &s) != nil || s.Spec.ClusterIP == "" {
				return fmt.Errorf("service %s has no clusterIP yet: %v", name, err)
			}
			clusterIPs[name] = s.Spec.ClusterIP
		}
		if got := endpointsIn(n.natRules(), "e2e/web:http"); got != 1 {
			return fmt.Errorf("%d endpoints of e2e/web in the rules, want 1", got)
		}
		return nil
	})
	unallocated := "10.96.255.254"
	for _, ip := range clusterIPs {
		if ip == unallocated {
			t.Fatalf("%s is allocated: pick another unallocated address", unallocated)
		}
	}
	web := "http://" + clusterIPs["web"] + "/"
	rejected := map[string]string{
		"an unallocated address of the service CIDR": "http://" + unallocated + "/",
		"a port web does not have":                   "http://" + clusterIPs["web"] + ":81/",
		"the service without endpoints":              "http://" + clusterIPs["nobody"] + "/",
	}
	check := func(when string) {
		t.Helper()
		n.eventually(30*time.Second, "web's ClusterIP answers "+when, func() error {
			got, err := n.hits(web, 5)
			if err != nil || got["FAILED"] > 0 {
				return fmt.Errorf("5 requests to %s: %v %v", web, got, err)
			}
			return nil
		})
		for what, url := range rejected {
			if code := n.curlExit(url); code != 7 {
				t.Errorf("%s: %s (%s): curl exit code %d, want 7 (connection refused)", when, url, what, code)
			}
		}
	}
	check("before SIGTERM")

	if err := n.up.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := n.up.Wait()
	t.Logf("up exited after SIGTERM: %v", err)
	if !strings.Contains(n.logs(), "service rules left in place") {
		t.Errorf("up did not say it left the service rules in place:\n%s", tail(n.logs(), 30))
	}
	check("after up got SIGTERM and exited")

	if out, err := n.run(env.bin, "agent", "--cleanup"); err != nil {
		t.Fatalf("reconcile agent --cleanup: %v %s", err, out)
	}
	if nat := n.natRules(); strings.Contains(nat, "RECONCILE-") {
		t.Fatalf("rules left after --cleanup:\n%s", nat)
	}
	for _, url := range []string{web, rejected["an unallocated address of the service CIDR"]} {
		if code := n.curlExit(url); code != 28 {
			t.Errorf("after --cleanup, %s: curl exit code %d, want 28 (sent out by the default route, no answer)", url, code)
		}
	}
}
