package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// nodeDaemon is a DaemonSet whose pods (container "daemon") run on every
// node: they tolerate not-ready and unreachable nodes for ever and stay
// through a drain.
const nodeDaemon = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: daemon
  namespace: e2e
spec:
  selector:
    matchLabels: {app: daemon}
  template:
    metadata:
      labels: {app: daemon}
    spec:
      containers:
        - name: daemon
          image: localhost/reconcile-hello:v1
          imagePullPolicy: Never
`

// Shortened node lifecycle timings (Kubernetes: 10 s, 40 s, 300 s).
var lifecycleTimings = simOptions{
	controllerArgs: []string{"--node-monitor-grace-period", "10s", "--default-toleration-seconds", "15"},
	agentArgs:      []string{"--node-status-update-frequency", "2s"},
}

// setLink takes a simulated host's cable out (or puts it back): its port
// on the switch goes down, so the host's own eth0 loses its carrier but
// keeps its addresses and routes, as when a cable is pulled.
func (s *simNet) setLink(t *testing.T, node int, up bool) {
	t.Helper()
	state := map[bool]string{true: "up", false: "down"}[up]
	sh(t, "nsenter", "--net=/run/netns/"+s.bridge, "ip", "link", "set", fmt.Sprintf("p%d", node+1), state)
}

func getNodes(run func(...string) (string, error)) ([]corev1.Node, error) {
	out, err := run("get", "nodes", "-o", "json")
	if err != nil {
		return nil, err
	}
	var l struct{ Items []corev1.Node }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		return nil, fmt.Errorf("decode get nodes: %v", err)
	}
	return l.Items, nil
}

func readyOf(n corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func hasTaint(n corev1.Node, key string, effect corev1.TaintEffect) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == key && t.Effect == effect })
}

// waitNodes polls until check holds for every node named (all when none).
func waitNodes(c *cluster, run func(...string) (string, error), d time.Duration, what string, check func(corev1.Node) error, names ...string) {
	c.t.Helper()
	c.eventually(d, what, func() error {
		nodes, err := getNodes(run)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if len(names) > 0 && !slices.Contains(names, n.Name) {
				continue
			}
			if err := check(n); err != nil {
				return fmt.Errorf("%s: %v (taints %v)", n.Name, err, n.Spec.Taints)
			}
		}
		return nil
	})
}

func podsByApp(pods []corev1.Pod, app string) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if p.Labels["app"] == app {
			out = append(out, p)
		}
	}
	return out
}

func uids(pods []corev1.Pod) []types.UID {
	var out []types.UID
	for _, p := range pods {
		out = append(out, p.UID)
	}
	slices.Sort(out)
	return out
}

// runningContainers counts the running containers named name on every
// simulated host, from each host's own Podman.
func runningContainers(sim *simNet, name string) (map[string]int, error) {
	out := map[string]int{}
	for _, n := range sim.nodes {
		ids, err := n.podmanCmd("ps", "-q", "--filter", "label=reconcile.container="+name, "--filter", "status=running")
		if err != nil {
			return nil, fmt.Errorf("podman ps on %s: %v %s", n.name, err, ids)
		}
		out[n.name] = len(strings.Fields(ids))
	}
	return out, nil
}

// TestE2ENodeLifecycle runs three simulated hosts with shortened node
// timings: a Deployment spread over them and a DaemonSet on each.
//
//  1. node-c's link goes down: it goes Unknown and is tainted unreachable;
//     after the toleration its web pod is evicted and recreated on the
//     others; its daemon pod stays.
//  2. The link comes back: node-c is Ready, its taints go, and its agent
//     removes the evicted pod's containers: one copy of each pod runs.
//  3. Every link goes down: every node goes Unknown and, for longer than
//     the toleration, no pod is evicted (full disruption); they come back
//     Ready with the same pods.
//  4. drain node-b moves its web pods off, its daemon pod stays; the node
//     shows SchedulingDisabled and the unschedulable taint until uncordon.
func TestE2ENodeLifecycle(t *testing.T) {
	files := map[string]string{"namespace.yaml": e2eNamespace, "config.yaml": webConfig, "daemon.yaml": nodeDaemon}
	c, sim, run := newSimClusterWith(t, files, lifecycleTimings, "node-a", "node-b", "node-c")
	nodeC := sim.nodes[2]
	// The web pods come once every node is Ready, so the scheduler
	// spreads them (least allocated first) instead of filling the first.
	c.eventually(60*time.Second, "three Ready nodes", func() error {
		nodes, err := getNodes(run)
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range nodes {
			if readyOf(n) == corev1.ConditionTrue {
				ready++
			}
		}
		if ready != 3 {
			return fmt.Errorf("%d of %d nodes Ready", ready, len(nodes))
		}
		return nil
	})
	c.commit("web", map[string]string{"web.yaml": deployment(3, "localhost/reconcile-hello:v1")})
	var web, daemons []corev1.Pod
	c.eventually(180*time.Second, "3 web pods on 3 nodes and a daemon pod on each", func() error {
		all := c.pods("e2e")
		web, daemons = runningPods(podsByApp(all, "web")), runningPods(podsByApp(all, "daemon"))
		on := map[string]bool{}
		for _, p := range web {
			on[p.Spec.NodeName] = true
		}
		if len(web) != 3 || len(on) != 3 || len(daemons) != 3 {
			return fmt.Errorf("%s", summary(all))
		}
		return nil
	})
	var lost, lostDaemon corev1.Pod
	for _, p := range append(slices.Clone(web), daemons...) {
		if p.Spec.NodeName == "node-c" && p.Labels["app"] == "web" {
			lost = p
		} else if p.Spec.NodeName == "node-c" {
			lostDaemon = p
		}
	}

	t.Log("1. node-c's link goes down")
	sim.setLink(t, 2, false)
	waitNodes(c, run, 60*time.Second, "node-c Unknown and tainted unreachable", func(n corev1.Node) error {
		if readyOf(n) != corev1.ConditionUnknown || !hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
			return fmt.Errorf("Ready=%s", readyOf(n))
		}
		return nil
	}, "node-c")
	if out, err := run("get", "nodes"); err != nil || !strings.Contains(out, "node-c") || !regexpLine(out, `node-c\s+NotReady`) {
		t.Errorf("get nodes while node-c is cut off: %v\n%s", err, out)
	}
	c.eventually(90*time.Second, "node-c's web pod evicted and replaced on node-a or node-b", func() error {
		all := c.pods("e2e")
		running := runningPods(podsByApp(all, "web"))
		for _, p := range podsByApp(all, "web") {
			if p.UID == lost.UID {
				return fmt.Errorf("%s (uid %s) still stored: %s", p.Name, p.UID, summary(all))
			}
		}
		for _, p := range running {
			if p.Spec.NodeName == "node-c" {
				return fmt.Errorf("a web pod runs on node-c: %s", summary(all))
			}
		}
		if len(running) != 3 {
			return fmt.Errorf("%d web pods running: %s", len(running), summary(all))
		}
		return nil
	})
	if still := podsByApp(c.pods("e2e"), "daemon"); !slices.ContainsFunc(still, func(p corev1.Pod) bool { return p.UID == lostDaemon.UID && p.DeletionTimestamp == nil }) {
		t.Errorf("node-c's daemon pod was evicted (it tolerates unreachable nodes): %s", summary(still))
	}

	t.Log("2. node-c's link comes back")
	sim.setLink(t, 2, true)
	waitNodes(c, run, 120*time.Second, "node-c Ready again, without the node controller's taints", func(n corev1.Node) error {
		if readyOf(n) != corev1.ConditionTrue || len(n.Spec.Taints) != 0 {
			return fmt.Errorf("Ready=%s", readyOf(n))
		}
		return nil
	}, "node-c")
	c.eventually(90*time.Second, "node-c's agent removed the evicted pod: one copy of each web pod runs", func() error {
		ids, err := nodeC.podmanCmd("ps", "-aq", "--filter", "label=reconcile.uid="+string(lost.UID))
		if err != nil || strings.TrimSpace(ids) != "" {
			return fmt.Errorf("node-c still has containers of the evicted pod %s: %q %v", lost.Name, ids, err)
		}
		counts, err := runningContainers(sim, "hello")
		if err != nil {
			return err
		}
		if total := counts["node-a"] + counts["node-b"] + counts["node-c"]; total != 3 {
			return fmt.Errorf("%d web containers run (%v), want 3", total, counts)
		}
		return nil
	})

	t.Log("3. every link goes down: full disruption")
	before := uids(c.pods("e2e"))
	for i := range sim.nodes {
		sim.setLink(t, i, false)
	}
	waitNodes(c, run, 60*time.Second, "every node Unknown", func(n corev1.Node) error {
		if readyOf(n) != corev1.ConditionUnknown {
			return fmt.Errorf("Ready=%s", readyOf(n))
		}
		return nil
	})
	c.eventually(30*time.Second, "the pods of unreachable nodes marked not ready", func() error {
		for _, p := range c.pods("e2e") {
			if slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
				return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
			}) {
				return fmt.Errorf("%s still Ready", p.Name)
			}
		}
		return nil
	})
	// Longer than the toleration (15 s) plus the eviction step's resync
	// (10 s): the pods of every node would be gone by then.
	if err := consistently(35*time.Second, func() error {
		if now := uids(c.pods("e2e")); !slices.Equal(now, before) {
			return fmt.Errorf("pods changed while every node was unreachable: %v, was %v", now, before)
		}
		return nil
	}); err != nil {
		t.Fatalf("full disruption: %v\n%s", err, tail(c.logs(), 40))
	}
	waitNodes(c, run, 30*time.Second, "no NoExecute taint while no node is Ready", func(n corev1.Node) error {
		if hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
			return fmt.Errorf("tainted NoExecute")
		}
		return nil
	})
	for i := range sim.nodes {
		sim.setLink(t, i, true)
	}
	waitNodes(c, run, 120*time.Second, "every node Ready again", func(n corev1.Node) error {
		if readyOf(n) != corev1.ConditionTrue || len(n.Spec.Taints) != 0 {
			return fmt.Errorf("Ready=%s", readyOf(n))
		}
		return nil
	})
	if now := uids(c.pods("e2e")); !slices.Equal(now, before) {
		t.Errorf("pods changed across the full disruption: %v, was %v", now, before)
	}
	// While their nodes were Unknown their pods were marked not ready
	// (Kubernetes' MarkPodsNotReady); the agents report them ready again.
	c.eventually(60*time.Second, "every pod Ready again", func() error {
		for _, p := range c.pods("e2e") {
			if !slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
				return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
			}) {
				return fmt.Errorf("%s not Ready: %+v", p.Name, p.Status.Conditions)
			}
		}
		return nil
	})

	t.Log("4. drain node-b")
	var daemonB corev1.Pod
	for _, p := range podsByApp(c.pods("e2e"), "daemon") {
		if p.Spec.NodeName == "node-b" {
			daemonB = p
		}
	}
	out, err := run("drain", "node-b", "--timeout", "120s")
	if err != nil {
		t.Fatalf("drain node-b: %v\n%s\n%s", err, out, tail(c.logs(), 40))
	}
	for _, want := range []string{"node/node-b cordoned\n", "Warning: ignoring DaemonSet-managed Pods: e2e/" + daemonB.Name + "\n", "evicting pod e2e/web-", "node/node-b drained\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("drain output lacks %q:\n%s", want, out)
		}
	}
	all := c.pods("e2e")
	for _, p := range podsByApp(all, "web") {
		if p.Spec.NodeName == "node-b" {
			t.Errorf("after drain a web pod is still on node-b: %s", summary(all))
		}
	}
	if !slices.ContainsFunc(runningPods(podsByApp(all, "daemon")), func(p corev1.Pod) bool { return p.UID == daemonB.UID }) {
		t.Errorf("drain removed node-b's daemon pod: %s", summary(all))
	}
	c.eventually(90*time.Second, "3 web pods running on node-a and node-c", func() error {
		all := c.pods("e2e")
		running := runningPods(podsByApp(all, "web"))
		if len(running) != 3 || slices.ContainsFunc(running, func(p corev1.Pod) bool { return p.Spec.NodeName == "node-b" }) {
			return fmt.Errorf("%s", summary(all))
		}
		return nil
	})
	waitNodes(c, run, 30*time.Second, "node-b cordoned with the unschedulable taint", func(n corev1.Node) error {
		if !n.Spec.Unschedulable || !hasTaint(n, corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule) {
			return fmt.Errorf("unschedulable=%v", n.Spec.Unschedulable)
		}
		return nil
	}, "node-b")
	out, err = run("get", "nodes", "-o", "wide")
	if err != nil || !regexpLine(out, `node-b\s+Ready,SchedulingDisabled\s.*node.kubernetes.io/unschedulable:NoSchedule`) {
		t.Errorf("get nodes -o wide after drain: %v\n%s", err, out)
	}
	t.Logf("get nodes -o wide:\n%s", out)
	if out, err := run("uncordon", "node-b"); err != nil || out != "node/node-b uncordoned\n" {
		t.Errorf("uncordon: %v %q", err, out)
	}
	waitNodes(c, run, 30*time.Second, "node-b schedulable, its taint gone", func(n corev1.Node) error {
		if n.Spec.Unschedulable || len(n.Spec.Taints) != 0 {
			return fmt.Errorf("unschedulable=%v", n.Spec.Unschedulable)
		}
		return nil
	}, "node-b")
}

// consistently checks cond every second for d and returns its first
// failure: that something does not happen within a window.
func consistently(d time.Duration, cond func() error) error {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(time.Second) {
		if err := cond(); err != nil {
			return err
		}
	}
	return nil
}

// regexpLine reports whether a line of out matches the pattern.
func regexpLine(out, pattern string) bool {
	return regexp.MustCompile(`(?m)^` + pattern).MatchString(out)
}
