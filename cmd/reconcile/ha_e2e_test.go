package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// startServer starts `reconcile controller` as server name of a control
// plane (args: --cluster-init or --join URL --token T) on loopback ports.
func startServer(t *testing.T, repo, name string, args ...string) *cluster {
	c := &cluster{t: t, data: t.TempDir(), repo: repo, log: &bytes.Buffer{}, procs: map[string]*exec.Cmd{}}
	c.server = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, tail(c.logs(), 40))
		}
	})
	c.startProc("controller", append([]string{"controller", "--repo", repo, "--data", c.data, "--listen", c.server, "--server-name", name,
		// The default lease (10 s): a killed leader's member is gone, so
		// another takes over after about 2 s (reconcile/leader takeover.go).
		"--etcd-advertise-address", "127.0.0.1", "--etcd-peer-port", strconv.Itoa(freePort(t)), "--etcd-client-port", strconv.Itoa(freePort(t))}, args...)...)
	c.waitServerUp(name, 0)
	return c
}

// waitServerUp waits until the server answers, failing when its process
// exited (main prints "reconcile: ERROR") after log offset from.
func (c *cluster) waitServerUp(name string, from int) {
	c.t.Helper()
	exited := func() bool { return strings.Contains("\n"+c.logs()[from:], "\nreconcile: ") }
	err := testkit.Poll(2*time.Minute, func() error {
		if exited() {
			return nil
		}
		_, err := c.run("get", "nodes")
		return err
	})
	if err != nil || exited() {
		c.t.Fatalf("server %s did not come up: %v\n%s", name, err, tail(c.logs()[from:], 40))
	}
}

// restartServer starts a stopped server again with the same flags and
// data directory: its member restarts as an existing one.
func (c *cluster) restartServer(name string) {
	c.t.Helper()
	from := len(c.logs())
	c.startProc("controller", c.procs["controller"].Args[1:]...)
	c.waitServerUp(name, from)
}

var leaderLine = regexp.MustCompile(`controller leader: (\S+)`)

// leaderOf is the controller leader c's `reconcile status` names.
func leaderOf(c *cluster) (string, string, error) {
	out, err := c.run("status")
	if err != nil {
		return "", out, err
	}
	m := leaderLine.FindStringSubmatch(out)
	if m == nil {
		return "", out, fmt.Errorf("no leader in status:\n%s", out)
	}
	return m[1], out, nil
}

// appliedCommits is the source's history, oldest first.
func appliedCommits(c *cluster) ([]string, error) {
	out, err := c.run("history", "-o", "json")
	if err != nil {
		return nil, err
	}
	var h reconcile.SourceHistory
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		return nil, fmt.Errorf("decode history: %v\n%s", err, out)
	}
	var commits []string
	for _, e := range slices.Backward(h.Entries) {
		commits = append(commits, e.Commit)
	}
	return commits, nil
}

// resourceVersion of one object as `reconcile get KIND NAME -n NS -o json` shows it.
func resourceVersion(c *cluster, kind, ns, name string) (int64, error) {
	out, err := c.run("get", kind, name, "-n", ns, "-o", "json")
	if err != nil {
		return 0, err
	}
	var o struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		return 0, fmt.Errorf("decode %s %s: %v\n%s", kind, name, err, out)
	}
	return strconv.ParseInt(o.Metadata.ResourceVersion, 10, 64)
}

func counterMap(n int) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: counter\n  namespace: e2e\ndata:\n  n: %q\n", strconv.Itoa(n))
}

// annotated is deployment() with an annotation on the Deployment itself
// (not its pod template: no rollout).
func annotated(replicas int, round string) string {
	return strings.Replace(deployment(replicas, "localhost/reconcile-hello:v1"), "  namespace: e2e\n", "  namespace: e2e\n  annotations: {e2e/round: \""+round+"\"}\n", 1)
}

// The end-to-end proof, over one start of three servers (one
// --cluster-init, two --join with a server token) and one agent with real
// Podman joined with all three URLs: status lists the members and the
// leader; the leader killed -9 five times at random moments during commits
// (restarted each time with its data) — every time another leads and
// applies, every commit is applied once, no pod is duplicated or
// restarted, resourceVersions only increase; one server stopped: commits
// deploy; two stopped: writes stop, status says why, reads answer; one
// back: commits deploy again; a dead server is removed.
func TestE2EControlPlaneServers(t *testing.T) {
	needE2E(t)
	const image = "localhost/reconcile-hello:v1"
	repo := t.TempDir()
	testkit.Run(t, repo, "init", "-q", "-b", "main")
	files := baseFiles(2, image)
	files["counter.yaml"] = counterMap(0)
	for name, content := range files {
		os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644)
	}
	testkit.Run(t, repo, "add", "-A")
	testkit.Run(t, repo, "commit", "-q", "-m", "initial")
	names := []string{"server-1", "server-2", "server-3"}
	servers := map[string]*cluster{"server-1": startServer(t, repo, "server-1", "--cluster-init")}
	tok, err := servers["server-1"].run("token", "create", "--control-plane", "--ttl", "1h")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names[1:] {
		servers[name] = startServer(t, repo, name, "--join", "https://"+servers["server-1"].server, "--token", strings.TrimSpace(tok))
	}
	up := map[string]bool{"server-1": true, "server-2": true, "server-3": true}
	anyUp := func(not ...string) (string, *cluster) {
		for _, n := range names {
			if up[n] && !slices.Contains(not, n) {
				return n, servers[n]
			}
		}
		t.Fatal("no server up")
		return "", nil
	}
	var lastStatus string
	healthy := func(t *testing.T, n int) string {
		var leader string
		testkit.Eventually(t, 3*time.Minute, fmt.Sprintf("%d healthy members and a leader", n), func() error {
			_, c := anyUp()
			l, out, err := leaderOf(c)
			if err != nil {
				return err
			}
			if servers[l] == nil || !up[l] || strings.Count(out, " yes ") != n {
				return fmt.Errorf("status:\n%s", out)
			}
			leader, lastStatus = l, out
			return nil
		})
		return leader
	}
	commit := func(msg string, f map[string]string) string {
		for name, content := range f {
			os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644)
		}
		testkit.Run(t, repo, "add", "-A")
		testkit.Run(t, repo, "commit", "-q", "-m", msg)
		return testkit.Run(t, repo, "rev-parse", "HEAD")
	}
	// applied waits until commit is in the history (read on any server up).
	applied := func(t *testing.T, commit string) {
		testkit.Eventually(t, 3*time.Minute, "commit "+commit[:12]+" applied", func() error {
			_, c := anyUp()
			commits, err := appliedCommits(c)
			if err != nil {
				return err
			}
			if !slices.Contains(commits, commit) {
				return fmt.Errorf("history: %v", commits)
			}
			return nil
		})
	}
	var leader string
	t.Run("status lists the members and the leader", func(t *testing.T) {
		leader = healthy(t, 3)
		out, err := servers[leader].run("status", "-o", "json") // the same block as JSON
		if err != nil {
			t.Fatal(err)
		}
		var rep apitypes.StatusReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Servers == nil || len(rep.Sources) != 1 {
			t.Fatalf("status -o json: %v\n%s", err, out)
		}
		if rep.Servers.Store != "etcd (embedded)" || rep.Servers.Leader != leader || len(rep.Servers.Members) != 3 {
			t.Fatalf("status -o json: servers %+v, want 3 embedded members and leader %s", *rep.Servers, leader)
		}
		for _, m := range rep.Servers.Members {
			if !slices.Contains(names, m.Name) || m.ID == "" || !m.Healthy || m.DBSize <= 0 || m.DBSizeInUse <= 0 || m.RaftIndex == 0 {
				t.Errorf("status -o json: member %+v, want a named, healthy member with its DB sizes and raft index", m)
			}
		}
	})
	if t.Failed() {
		return
	}

	// One agent with real Podman, joined with the three servers' URLs.
	node := &cluster{t: t, data: t.TempDir(), log: &bytes.Buffer{}, procs: map[string]*exec.Cmd{}}
	t.Cleanup(func() {
		node.stop()
		cleanupNodeRules(t)
		cleanupPodman()
		if t.Failed() {
			t.Logf("agent log:\n%s", tail(node.logs(), 40))
		}
	})
	nodeTok, err := servers["server-1"].run("token", "create", "--description", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, n := range names {
		urls = append(urls, "https://"+servers[n].server)
	}
	node.startProc("agent", "join", strings.Join(urls, ","), "--token", strings.TrimSpace(nodeTok), "--node", "e2e-node", "--podman", env.sock, "--data", node.data,
		"--listen-logs", fmt.Sprintf("127.0.0.1:%d", freePort(t))) // not the default 10250: other tests' agents may run on this host

	replicas := 2
	var ids []string // the running pods' container IDs
	pods := func(t *testing.T) []corev1.Pod {
		var ps []corev1.Pod
		testkit.Eventually(t, 3*time.Minute, fmt.Sprintf("%d running pods of web", replicas), func() error {
			_, c := anyUp()
			out, err := c.run("get", "pods", "-n", "e2e", "-o", "json")
			if err != nil {
				return err
			}
			var l struct{ Items []corev1.Pod }
			if err := json.Unmarshal([]byte(out), &l); err != nil {
				return err
			}
			ps = runningPods(l.Items)
			if len(l.Items) != replicas || len(ps) != replicas {
				return fmt.Errorf("%d pods, %d running: %s", len(l.Items), len(ps), summary(l.Items))
			}
			if n := len(psContainers(t)); n != replicas {
				return fmt.Errorf("podman runs %d managed containers, want %d", n, replicas)
			}
			return nil
		})
		return ps
	}
	// check: the pods are the replicas, named once, never restarted, and
	// the containers that were running and were not scaled away still run.
	check := func(t *testing.T) {
		ps := pods(t)
		seen := map[string]bool{}
		for _, p := range ps {
			if seen[p.Name] {
				t.Errorf("pod %s twice: %s", p.Name, summary(ps))
			}
			seen[p.Name] = true
			for _, s := range p.Status.ContainerStatuses {
				if s.RestartCount != 0 {
					t.Errorf("pod %s container %s restarted %d times", p.Name, s.Name, s.RestartCount)
				}
			}
		}
		now := containerIDs(ps)
		kept, gone := 0, 0
		for _, id := range ids {
			if slices.Contains(now, id) {
				kept++
			} else {
				gone++
			}
		}
		// Scaling up keeps every container; scaling down keeps all but the
		// ones it removes.
		if want := min(len(ids), len(now)); ids != nil && kept != want {
			t.Errorf("containers kept %d of %v, want %d: now %v", kept, ids, want, now)
		}
		ids = now
	}
	t.Run("an agent joined with three URLs runs the Deployment", func(t *testing.T) {
		check(t)
	})
	if t.Failed() {
		return
	}

	var toLeader, toApplied []time.Duration
	var rv int64
	t.Run("the leader killed -9 five times during commits", func(t *testing.T) {
		// One watch of every object, over the three servers as an agent
		// holds it: it moves to another server when its own is killed and
		// resumes from its last resourceVersion, missing and repeating
		// nothing.
		_, c := anyUp()
		from, err := resourceVersion(c, "configmap", "e2e", "counter")
		if err != nil {
			t.Fatal(err)
		}
		cfg := servers["server-1"].adminClientConfig()
		tc, err := cfg.TLSConfig()
		if err != nil {
			t.Fatal(err)
		}
		var hostports []string
		for _, n := range names {
			hostports = append(hostports, servers[n].server)
		}
		watch := followAll(t, apiclient.NewTLS(strings.Join(hostports, ","), cfg.Token, tc), uint64(from))
		defer watch.check(t)
		var commits []string
		for round := 1; round <= 5; round++ {
			replicas = 2 + round%2
			commits = append(commits, commit(fmt.Sprintf("round %d: counter and %d replicas", round, replicas),
				map[string]string{"counter.yaml": counterMap(round), "web.yaml": annotated(replicas, "before")}))
			time.Sleep(time.Duration(rand.Int64N(int64(time.Second))))
			dead := servers[leader]
			role := etcdRole(lastStatus, leader)
			killed := time.Now()
			dead.procs["controller"].Process.Kill()
			dead.procs["controller"].Wait()
			up[leader] = false
			// A commit made after the kill: only a new leader applies it.
			after := commit(fmt.Sprintf("round %d: after the kill", round),
				map[string]string{"web.yaml": annotated(replicas, strconv.Itoa(round))})
			commits = append(commits, after)
			// The times come from the servers' own records (same host
			// clock): the new leader's "leader elected" log line and the
			// history's appliedAt, not from when a poll happened to see them.
			applied(t, after)
			var next string
			testkit.Eventually(t, 3*time.Minute, "another leader", func() error {
				_, c := anyUp()
				l, out, err := leaderOf(c)
				if err != nil {
					return err
				}
				if l == leader || servers[l] == nil {
					return fmt.Errorf("status:\n%s", out)
				}
				next = l
				return nil
			})
			elected, err := lastElected(servers[next].logs())
			if err != nil {
				t.Fatalf("%s: %v", next, err)
			}
			_, c := anyUp()
			at, err := appliedAt(c, after)
			if err != nil {
				t.Fatal(err)
			}
			toLeader = append(toLeader, elected.Sub(killed))
			toApplied = append(toApplied, at.Sub(killed))
			t.Logf("round %d: killed %s (etcd %s); %s led %v after the kill and applied the next commit after %v (load %s)",
				round, leader, role, next, toLeader[len(toLeader)-1].Round(time.Millisecond), toApplied[len(toApplied)-1].Round(time.Millisecond), loadAvg())
			dead.restartServer(leader)
			up[leader] = true
			leader = healthy(t, 3)

			_, c = anyUp()
			history, err := appliedCommits(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range commits {
				if n := countOf(history, want); n > 1 {
					t.Errorf("round %d: commit %s applied %d times: %v", round, want[:12], n, history)
				}
			}
			if n := countOf(history, after); n != 1 {
				t.Errorf("round %d: commit %s applied %d times: %v", round, after[:12], n, history)
			}
			got, err := resourceVersion(c, "configmap", "e2e", "counter")
			if err != nil {
				t.Fatal(err)
			}
			if got <= rv {
				t.Errorf("round %d: the counter's resourceVersion %d after %d", round, got, rv)
			}
			rv = got
			testkit.Eventually(t, time.Minute, fmt.Sprintf("round %d: the followed watch sees the counter at %d", round, got), func() error {
				return watch.sawCounter(uint64(got))
			})
			check(t)
			if t.Failed() {
				return
			}
		}
		t.Logf("failover over %d kills: kill → new leader median %v max %v; kill → commit applied median %v max %v",
			len(toLeader), median(toLeader), slices.Max(toLeader), median(toApplied), slices.Max(toApplied))
	})
	if t.Failed() {
		return
	}

	stop := func(name string) {
		p := servers[name].procs["controller"]
		p.Process.Signal(syscall.SIGTERM)
		p.Wait()
		up[name] = false
	}
	var stopped []string
	t.Run("one server stopped, commits deploy", func(t *testing.T) {
		name, _ := anyUp(leader)
		stop(name)
		stopped = append(stopped, name)
		replicas = 2
		applied(t, commit("one server stopped", map[string]string{"counter.yaml": counterMap(10), "web.yaml": annotated(2, "one-stopped")}))
		check(t)
	})
	if t.Failed() {
		return
	}
	t.Run("two servers stopped, writes stop, reads answer", func(t *testing.T) {
		name, _ := anyUp(leader)
		stop(name)
		stopped = append(stopped, name)
		last, c := anyUp()
		start := time.Now()
		testkit.Eventually(t, 2*time.Minute, "status says the quorum is lost", func() error {
			out, _ := c.run("status")
			if !strings.Contains(out, "quorum") {
				return fmt.Errorf("status on %s:\n%s", last, out)
			}
			return nil
		})
		t.Logf("status names the lost quorum after %v", time.Since(start).Round(time.Millisecond))
		start = time.Now()
		out, err := c.run("get", "pods", "-n", "e2e")
		t.Logf("get pods without quorum answered in %v", time.Since(start).Round(time.Millisecond))
		if err != nil || strings.Count(out, "web-") != replicas {
			t.Errorf("reads on %s without quorum: %v\n%s", last, err, out)
		}
		start = time.Now()
		_, err = c.run("token", "create", "--description", "e2e-minority")
		t.Logf("a write without quorum refused in %v: %v", time.Since(start).Round(time.Millisecond), err)
		if err == nil || !strings.Contains(err.Error(), "has no quorum") {
			t.Errorf("a write without quorum: %v, want an error naming the quorum", err)
		}
	})
	if t.Failed() {
		return
	}
	t.Run("one server back, everything resumes", func(t *testing.T) {
		back := stopped[1]
		servers[back].restartServer(back)
		up[back] = true
		leader = healthy(t, 2)
		replicas = 3
		applied(t, commit("one server back", map[string]string{"counter.yaml": counterMap(11), "web.yaml": annotated(3, "back")}))
		check(t)
	})
	if t.Failed() {
		return
	}
	t.Run("a dead server removed", func(t *testing.T) {
		dead := stopped[0]
		_, c := anyUp()
		if _, err := c.run("server", "remove", dead); err != nil {
			t.Fatal(err)
		}
		out, err := c.run("status")
		if err != nil || strings.Contains(out, dead) {
			t.Fatalf("after removing %s: %v\n%s", dead, err, out)
		}
	})
}

var electedLine = regexp.MustCompile(`(?m)^time=(\S+) level=INFO msg="leader elected: this server leads"`)

// lastElected is when a server's log last says it was elected.
func lastElected(log string) (time.Time, error) {
	m := electedLine.FindAllStringSubmatch(log, -1)
	if m == nil {
		return time.Time{}, fmt.Errorf("no \"leader elected\" line in the log")
	}
	return time.Parse(time.RFC3339, m[len(m)-1][1])
}

// appliedAt is when the source applied commit, from its history.
func appliedAt(c *cluster, commit string) (time.Time, error) {
	out, err := c.run("history", "-o", "json")
	if err != nil {
		return time.Time{}, err
	}
	var h reconcile.SourceHistory
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		return time.Time{}, err
	}
	for _, e := range h.Entries {
		if e.Commit == commit {
			return e.AppliedAt, nil
		}
	}
	return time.Time{}, fmt.Errorf("commit %s not in the history", commit)
}

// etcdRole is server's ETCD column (leader, follower, learner) in a
// `reconcile status` table.
func etcdRole(status, server string) string {
	for _, line := range strings.Split(status, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == server {
			return f[3]
		}
	}
	return "?"
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
