package controllers

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// lifecycleNode is a node whose Ready condition is status since t0, with
// taints and an optional zone.
func lifecycleNode(name string, status corev1.ConditionStatus, zone string, taints ...corev1.Taint) *corev1.Node {
	n := heartbeatNode(name, t0)
	n.ResourceVersion = "1"
	nodeReady(n).Status = status
	n.Spec.Taints = taints
	if zone != "" {
		n.Labels = map[string]string{corev1.LabelTopologyZone: zone}
	}
	return n
}

func at(t corev1.Taint, when time.Time) corev1.Taint { return stamped(t, when) }

func taintList(n *corev1.Node) string {
	var out []string
	for _, t := range n.Spec.Taints {
		s := t.ToString()
		if t.TimeAdded != nil {
			s += "@" + t.TimeAdded.Sub(t0).String()
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func TestNodeTaints(t *testing.T) {
	now := t0.Add(time.Minute)
	cordoned := lifecycleNode("a", corev1.ConditionTrue, "")
	cordoned.Spec.Unschedulable = true
	user := corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name  string
		nodes []*corev1.Node
		want  map[string]string // node → taints after; absent = unchanged
		wait  time.Duration
	}{
		{"ready nodes need nothing", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""), lifecycleNode("b", corev1.ConditionTrue, "")}, nil, 0},
		{"a cordoned node gets the unschedulable taint", []*corev1.Node{cordoned}, map[string]string{"a": "node.kubernetes.io/unschedulable:NoSchedule"}, 0},
		{"unreachable (Ready=Unknown)", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""), lifecycleNode("b", corev1.ConditionUnknown, "")},
			map[string]string{"b": "node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute@1m0s"}, 0},
		{"not ready (Ready=False), the user's taint kept", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""), lifecycleNode("b", corev1.ConditionFalse, "", user)},
			map[string]string{"b": "dedicated=db:NoSchedule,node.kubernetes.io/not-ready:NoSchedule,node.kubernetes.io/not-ready:NoExecute@1m0s"}, 0},
		{"an existing NoExecute taint keeps its time", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""),
			lifecycleNode("b", corev1.ConditionUnknown, "", taintUnreachNoSchedule, at(taintUnreachableNoExecute, t0))}, nil, 0},
		{"not-ready becomes unreachable: swapped at once, new time", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""),
			lifecycleNode("c", corev1.ConditionTrue, "", at(taintUnreachableNoExecute, now.Add(-time.Second))),
			lifecycleNode("b", corev1.ConditionUnknown, "", taintNotReadyNoSchedule, at(taintNotReadyNoExecute, t0))},
			map[string]string{"b": "node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute@1m0s", "c": ""}, 0},
		{"ready again: the taints go", []*corev1.Node{lifecycleNode("b", corev1.ConditionTrue, "", user, taintUnreachNoSchedule, at(taintUnreachableNoExecute, t0))},
			map[string]string{"b": "dedicated=db:NoSchedule"}, 0},
		{"one new NoExecute taint per zone per interval", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""),
			lifecycleNode("b", corev1.ConditionUnknown, ""), lifecycleNode("c", corev1.ConditionUnknown, ""), lifecycleNode("d", corev1.ConditionTrue, "")},
			map[string]string{"b": "node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute@1m0s", "c": "node.kubernetes.io/unreachable:NoSchedule"}, DefaultNodeEvictionInterval},
		{"the interval counts from the zone's newest taint", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""),
			lifecycleNode("b", corev1.ConditionUnknown, "", taintUnreachNoSchedule, at(taintUnreachableNoExecute, now.Add(-4*time.Second))),
			lifecycleNode("c", corev1.ConditionUnknown, "", taintUnreachNoSchedule), lifecycleNode("d", corev1.ConditionTrue, "")},
			nil, 6 * time.Second},
		{"zones are limited apart", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, "z1"), lifecycleNode("b", corev1.ConditionUnknown, "z1"),
			lifecycleNode("c", corev1.ConditionTrue, "z2"), lifecycleNode("d", corev1.ConditionUnknown, "z2")},
			map[string]string{"b": "node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute@1m0s",
				"d": "node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute@1m0s"}, 0},
		{"a small zone in partial disruption gets no new NoExecute taints", []*corev1.Node{lifecycleNode("a", corev1.ConditionTrue, ""),
			lifecycleNode("b", corev1.ConditionUnknown, ""), lifecycleNode("c", corev1.ConditionUnknown, ""), lifecycleNode("d", corev1.ConditionFalse, "")},
			map[string]string{"b": "node.kubernetes.io/unreachable:NoSchedule", "c": "node.kubernetes.io/unreachable:NoSchedule", "d": "node.kubernetes.io/not-ready:NoSchedule"}, 0},
		{"full disruption: no NoExecute taints at all", []*corev1.Node{
			lifecycleNode("a", corev1.ConditionUnknown, "", at(taintUnreachableNoExecute, t0)), lifecycleNode("b", corev1.ConditionUnknown, "")},
			map[string]string{"a": "node.kubernetes.io/unreachable:NoSchedule", "b": "node.kubernetes.io/unreachable:NoSchedule"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			updates, wait := NodeTaints(tt.nodes, NodeLifecycle{}, now)
			got := map[string]string{}
			for _, n := range updates {
				if n.ResourceVersion != "1" || n.Kind != "Node" {
					t.Errorf("%s: update without the resourceVersion it was read at or kind: %q %q", n.Name, n.ResourceVersion, n.Kind)
				}
				got[n.Name] = taintList(n)
			}
			if fmt.Sprint(got) != fmt.Sprint(orEmpty(tt.want)) {
				t.Errorf("updates %v\nwant    %v", got, tt.want)
			}
			if wait != tt.wait {
				t.Errorf("wait %s, want %s", wait, tt.wait)
			}
			for _, n := range tt.nodes { // inputs are not changed
				if n.ResourceVersion != "1" {
					t.Errorf("input node %s modified", n.Name)
				}
			}
		})
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func TestWithDefaultTolerations(t *testing.T) {
	forever := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}
	everything := corev1.Toleration{Operator: corev1.TolerationOpExists}
	short := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, TolerationSeconds: ptr.To[int64](5)}
	tests := []struct {
		name string
		own  []corev1.Toleration
		want string
	}{
		{"none of its own: both defaults", nil, "not-ready=300s unreachable=300s"},
		{"its own unreachable toleration stays, not-ready defaulted", []corev1.Toleration{forever}, "unreachable=forever not-ready=300s"},
		{"an empty key tolerates everything: no defaults", []corev1.Toleration{everything}, "*=forever"},
		{"an empty effect counts as NoExecute", []corev1.Toleration{short}, "not-ready=5s unreachable=300s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tol := range WithDefaultTolerations(tt.own, 300) {
				key := strings.TrimPrefix(tol.Key, "node.kubernetes.io/")
				if key == "" {
					key = "*"
				}
				secs := "forever"
				if tol.TolerationSeconds != nil {
					secs = fmt.Sprintf("%ds", *tol.TolerationSeconds)
				}
				got = append(got, key+"="+secs)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestTaintEvictions(t *testing.T) {
	ready := lifecycleNode("ok", corev1.ConditionTrue, "")
	lost := lifecycleNode("lost", corev1.ConditionUnknown, "", taintUnreachNoSchedule, at(taintUnreachableNoExecute, t0))
	dedicated := lifecycleNode("dedicated", corev1.ConditionTrue, "", corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute})
	pod := func(name, node string, created time.Time, tols ...corev1.Toleration) *corev1.Pod {
		p := pendingPod(name)
		p.Spec.NodeName, p.CreationTimestamp, p.Spec.Tolerations = node, metav1.NewTime(created), tols
		return p
	}
	unreachableFor := func(s *int64) corev1.Toleration {
		return corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: s}
	}
	daemon := pod("daemon", "lost", t0.Add(-time.Hour), daemonTolerations...)
	pods := []*corev1.Pod{
		pod("default", "lost", t0.Add(-time.Hour)),                                  // 300 s from the taint
		pod("short", "lost", t0.Add(-time.Hour), unreachableFor(ptr.To[int64](60))), // 60 s
		pod("zero", "lost", t0.Add(-time.Hour), unreachableFor(ptr.To[int64](-5))),  // negative = at once
		pod("forever", "lost", t0.Add(-time.Hour), unreachableFor(nil)),             // never
		pod("late", "lost", t0.Add(100*time.Second)),                                // 300 s from its creation
		pod("healthy", "ok", t0.Add(-time.Hour)),                                    // not tainted
		pod("untolerated", "dedicated", t0.Add(-time.Hour)),                         // at once
		pod("tolerates-db", "dedicated", t0.Add(-time.Hour), corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db"}),
		daemon,
	}
	nodes := []*corev1.Node{ready, lost, dedicated}
	tests := []struct {
		after time.Duration
		want  string
		next  time.Duration
	}{
		{0, "[untolerated zero]", 60 * time.Second},
		{59 * time.Second, "[untolerated zero]", time.Second},
		{60 * time.Second, "[short untolerated zero]", 240 * time.Second},
		{300 * time.Second, "[default short untolerated zero]", 100 * time.Second},
		{400 * time.Second, "[default late short untolerated zero]", 0},
	}
	for _, tt := range tests {
		evs, next := TaintEvictions(nodes, pods, 300, t0.Add(tt.after))
		var got []string
		for _, e := range evs {
			got = append(got, e.Pod.Name)
			if e.Message == "" {
				t.Errorf("eviction of %s has no message", e.Pod.Name)
			}
		}
		if fmt.Sprint(got) != tt.want || next != tt.next {
			t.Errorf("t0+%s: evict %v next %s, want %s next %s", tt.after, got, next, tt.want, tt.next)
		}
	}
	// Every node not Ready: the controller may be the one cut off.
	if evs, _ := TaintEvictions([]*corev1.Node{lost}, pods, 300, t0.Add(time.Hour)); len(evs) != 0 {
		t.Errorf("full disruption evicted %d pods", len(evs))
	}
}

// TestNodeLifecycleTrace runs the node controller's three pure steps
// (ReconcileNode, NodeTaints, TaintEvictions) over a three-node cluster
// on an injected clock, with shortened timings as the end-to-end test
// uses, and records what they decide: node-c loses its link, goes
// Unknown, is tainted and its pod evicted (the DaemonSet pod stays); it
// comes back and loses its taints; then node-a goes silent, is tainted,
// and before its pods' toleration runs out the two others go silent too:
// full disruption, the NoExecute taint goes and nothing is evicted.
func TestNodeLifecycleTrace(t *testing.T) {
	cfg := NodeLifecycle{MonitorGracePeriod: 8 * time.Second, DefaultTolerationSeconds: 10, EvictionInterval: 10 * time.Second}
	clock := testkit.NewClock(t0)
	nodes := map[string]*corev1.Node{}
	for _, name := range []string{"node-a", "node-b", "node-c"} {
		nodes[name] = heartbeatNode(name, t0)
	}
	pods := []*corev1.Pod{}
	for _, name := range []string{"node-a", "node-b", "node-c"} {
		p := pendingPod("web-" + name[len(name)-1:])
		p.Spec.NodeName, p.CreationTimestamp = name, metav1.NewTime(t0)
		d := pendingPod("agent-" + name[len(name)-1:])
		d.Spec.NodeName, d.CreationTimestamp, d.Spec.Tolerations = name, metav1.NewTime(t0), daemonTolerations
		pods = append(pods, p, d)
	}
	silent := map[string]bool{}
	var trace []string
	log := func(format string, args ...any) {
		trace = append(trace, fmt.Sprintf("t+%-6s ", clock.Now().Sub(t0))+fmt.Sprintf(format, args...))
	}
	list := func() []*corev1.Node {
		var out []*corev1.Node
		for _, name := range []string{"node-a", "node-b", "node-c"} {
			out = append(out, nodes[name])
		}
		return out
	}
	tick := func() {
		for _, n := range list() {
			if !silent[n.Name] && clock.Now().Sub(t0)%(2*time.Second) == 0 {
				before := nodeReady(n).Status
				MarkHeartbeat(n, clock.Now())
				if before != corev1.ConditionTrue {
					log("%s heartbeat: Ready=True", n.Name)
				}
			}
			if ch := ReconcileNode(n, time.Time{}, cfg.MonitorGracePeriod, clock.Now()); len(ch.UpdateStatus) > 0 {
				nodes[n.Name] = ch.UpdateStatus[0].(*corev1.Node)
				log("%s Ready=%s", n.Name, nodeReady(nodes[n.Name]).Status)
			}
		}
		updates, _ := NodeTaints(list(), cfg, clock.Now())
		for _, n := range updates {
			nodes[n.Name] = n
			log("%s taints [%s]", n.Name, taintList(n))
		}
		evs, _ := TaintEvictions(list(), pods, cfg.DefaultTolerationSeconds, clock.Now())
		for _, e := range evs {
			log("evict %s: %s", objects.KeyOf(e.Pod), e.Message)
			pods = slices.DeleteFunc(pods, func(p *corev1.Pod) bool { return p == e.Pod })
		}
	}
	run := func(d time.Duration) {
		for end := clock.Now().Add(d); clock.Now().Before(end); clock.Add(time.Second) {
			tick()
		}
	}
	run(5 * time.Second)
	log("-- node-c's link goes down")
	silent["node-c"] = true
	run(40 * time.Second)
	log("-- node-c's link comes back")
	silent["node-c"] = false
	run(10 * time.Second)
	log("-- node-a's link goes down, 5 s later node-b's and node-c's")
	silent["node-a"] = true
	run(5 * time.Second)
	silent["node-b"], silent["node-c"] = true, true
	run(60 * time.Second)
	log("-- every link comes back")
	silent["node-a"], silent["node-b"], silent["node-c"] = false, false, false
	run(10 * time.Second)
	var left []string
	for _, p := range pods {
		left = append(left, p.Name)
	}
	log("pods left: %s", strings.Join(left, " "))
	testkit.GoldenString(t, "testdata/node-lifecycle-trace.golden", strings.Join(trace, "\n")+"\n")
}

func TestNodeEventsThatQueueTheLifecycleSteps(t *testing.T) {
	m := onNodeLifecycleChange(keyTaints)
	n := heartbeatNode("n", t0)
	beat := n.DeepCopy()
	MarkHeartbeat(beat, t0.Add(10*time.Second))
	unknown := ReconcileNode(beat, time.Time{}, DefaultNodeMonitorGracePeriod, t0.Add(time.Hour)).UpdateStatus[0].(*corev1.Node)
	cordoned := n.DeepCopy()
	cordoned.Spec.Unschedulable = true
	tainted := n.DeepCopy()
	tainted.Spec.Taints = []corev1.Taint{stamped(taintUnreachableNoExecute, t0)}
	retainted := n.DeepCopy()
	retainted.Spec.Taints = []corev1.Taint{stamped(taintUnreachableNoExecute, t0.Add(time.Minute))}
	zoned := n.DeepCopy()
	zoned.Labels = map[string]string{corev1.LabelTopologyZone: "z1"}
	tests := []struct {
		name     string
		old, cur *corev1.Node
		queued   bool
	}{
		{"a heartbeat", n, beat, false},
		{"new, Ready and untainted", nil, n, false}, // the resync reads it
		{"new and cordoned", nil, cordoned, true},
		{"new and Unknown", nil, unknown, true},
		{"deleted", n, nil, true},
		{"Ready → Unknown", beat, unknown, true},
		{"cordoned", n, cordoned, true},
		{"tainted", n, tainted, true},
		{"a taint's time changed", tainted, retainted, true},
		{"zone label", n, zoned, true},
	}
	for _, tt := range tests {
		var old, cur objects.Object
		if tt.old != nil {
			old = tt.old
		}
		if tt.cur != nil {
			cur = tt.cur
		}
		if got := len(m(nil, old, cur)) > 0; got != tt.queued {
			t.Errorf("%s: queued %v, want %v", tt.name, got, tt.queued)
		}
	}
}
