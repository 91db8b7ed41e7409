package scheduler

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/scheduler/schedbench"
)

// accounting is what a snapshot's node infos count, per node name.
func accounting(infos []*NodeInfo) map[string]string {
	out := map[string]string{}
	for _, n := range infos {
		out[n.Node.Name] = fmt.Sprintf("%+v %+v pods=%d ports=%v", n.Requested, n.scored, len(n.Pods), n.UsedPorts)
	}
	return out
}

// TestSnapshotKeptCurrentSchedulesAsAFreshOne feeds a snapshot changes
// one at a time (bindings coming back, status updates, deletions,
// finished pods, heartbeats, a relabelled and a removed node) and checks
// that it places the next pods exactly as a snapshot built from scratch
// from the same nodes and pods, counting the same on every node.
func TestSnapshotKeptCurrentSchedulesAsAFreshOne(t *testing.T) {
	nodes, bound, pending := schedbench.Cluster(schedbench.Shape{Nodes: 150, Zones: 3, Bound: 600, Pending: 900, ReplicasPerApp: 100, ConstrainedEvery: 3})
	s := New()
	s.DefaultSpreadSelector = DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
	snap := NewSnapshot(nodes, append(append([]*corev1.Pod{}, bound...), pending...))
	if got := len(snap.Pending()); got != len(pending) {
		t.Fatalf("Pending() = %d pods, want %d", got, len(pending))
	}
	before := accounting(snap.infos)
	res := s.ScheduleOn(snap, pending[:300])
	if len(res.Bindings) != 300 {
		t.Fatalf("%d of 300 placed", len(res.Bindings))
	}
	if after := accounting(snap.infos); !maps.Equal(before, after) {
		t.Fatal("ScheduleOn left its own placements counted on the snapshot")
	}

	// The bindings come back (all but the last ten: never written).
	cur := map[string]*corev1.Pod{}
	for _, p := range append(append([]*corev1.Pod{}, bound...), pending...) {
		cur[PodKey(p)] = p
	}
	for _, p := range pending[:290] {
		q := p.DeepCopy()
		q.Spec.NodeName = res.Bindings[PodKey(p)]
		snap.SetPod(q)
		cur[PodKey(q)] = q
	}
	// Status updates of bound pods; some finish, some are deleted, one
	// starts terminating.
	for i, p := range bound[:200] {
		q := p.DeepCopy()
		switch i % 4 {
		case 0:
			q.Status.Phase = corev1.PodRunning
		case 1:
			q.Status.Phase = corev1.PodSucceeded
		case 2:
			snap.DeletePod(q)
			delete(cur, PodKey(q))
			continue
		case 3:
			q.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
		}
		snap.SetPod(q)
		cur[PodKey(q)] = q
	}
	rebuilds := snap.Rebuilds
	// Heartbeats only replace the node objects.
	for i, n := range nodes {
		m := n.DeepCopy()
		m.Status.Conditions[0].LastHeartbeatTime = metav1.Time{Time: time.Unix(int64(i), 0)}
		snap.SetNode(m)
		nodes[i] = m
	}
	next := pending[300:]
	sameAsFresh(t, s, snap, nodes, cur, next)
	if snap.Rebuilds != rebuilds {
		t.Fatalf("pod changes and heartbeats rebuilt the snapshot (%d rebuilds, want %d)", snap.Rebuilds, rebuilds)
	}
	// A relabelled node and a removed one rebuild it.
	relabelled := nodes[7].DeepCopy()
	relabelled.Labels[corev1.LabelTopologyZone] = "zone-9"
	nodes[7] = relabelled
	snap.SetNode(relabelled)
	snap.DeleteNode(nodes[8].Name)
	nodes = append(nodes[:8:8], nodes[9:]...)
	sameAsFresh(t, s, snap, nodes, cur, next)
	if snap.Rebuilds != rebuilds+1 {
		t.Fatalf("relabelling and removing a node: %d rebuilds, want %d", snap.Rebuilds, rebuilds+1)
	}
}

// sameAsFresh checks that snap counts as, and places next as, a snapshot
// built from nodes and pods.
func sameAsFresh(t *testing.T, s *Scheduler, snap *Snapshot, nodes []*corev1.Node, pods map[string]*corev1.Pod, next []*corev1.Pod) {
	t.Helper()
	var all []*corev1.Pod
	for _, k := range slices.Sorted(maps.Keys(pods)) {
		all = append(all, pods[k])
	}
	fresh := NewSnapshot(nodes, all)
	fresh.next = snap.next
	if got, want := len(snap.Pending()), len(fresh.Pending()); got != want {
		t.Fatalf("Pending() = %d pods, a fresh snapshot %d", got, want)
	}
	got, want := s.ScheduleOn(snap, next), s.ScheduleOn(fresh, next)
	if !maps.Equal(got.Bindings, want.Bindings) || len(got.Unschedulable) != len(want.Unschedulable) {
		t.Fatalf("the kept snapshot placed %d pods (%d unschedulable), a fresh one %d (%d); first difference: %s",
			len(got.Bindings), len(got.Unschedulable), len(want.Bindings), len(want.Unschedulable), firstDifference(got.Bindings, want.Bindings))
	}
	if a, b := accounting(snap.infos), accounting(fresh.infos); !maps.Equal(a, b) {
		t.Fatalf("the kept snapshot counts differently from a fresh one: %s", firstDifference(a, b))
	}
}

func firstDifference(a, b map[string]string) string {
	for k, v := range a {
		if b[k] != v {
			return fmt.Sprintf("%s: %q vs %q", k, v, b[k])
		}
	}
	for k, v := range b {
		if a[k] != v {
			return fmt.Sprintf("%s: %q vs %q", k, a[k], v)
		}
	}
	return "none"
}

// TestSnapshotPodStatusUpdateKeepsHostPorts: a bound pod's host port
// stays taken through its status updates, and is free once it is gone.
func TestSnapshotPodStatusUpdateKeepsHostPorts(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	withPort := func(name, node string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
		p.Spec.NodeName = node
		p.Spec.Containers = []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}}}
		return p
	}
	running := withPort("running", "n1")
	snap := NewSnapshot([]*corev1.Node{n}, []*corev1.Pod{running})
	upd := running.DeepCopy()
	upd.Status.Phase = corev1.PodRunning
	snap.SetPod(upd)
	if res := New().ScheduleOn(snap, []*corev1.Pod{withPort("new", "")}); len(res.Bindings) != 0 {
		t.Fatalf("placed beside a pod holding its host port: %v", res.Bindings)
	}
	snap.DeletePod(upd)
	if res := New().ScheduleOn(snap, []*corev1.Pod{withPort("new", "")}); res.Bindings["default/new"] != "n1" {
		t.Fatalf("host port still taken after its pod was deleted: %+v", res)
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	for _, tc := range []struct {
		nodes int
		pct   int32
		want  int
	}{
		{50, 0, 50},       // below 100 nodes: all
		{1000, 0, 420},    // adaptive: 50 - 1000/125 = 42 %
		{5000, 0, 500},    // adaptive: 50 - 40 = 10 %
		{10000, 0, 500},   // adaptive floor 5 %
		{200, 0, 100},     // at least 100
		{5000, 20, 1000},  // configured
		{5000, 1, 100},    // configured, at least 100
		{5000, 100, 5000}, // all
	} {
		if got := numFeasibleNodesToFind(tc.nodes, tc.pct); got != tc.want {
			t.Errorf("numFeasibleNodesToFind(%d, %d) = %d, want %d", tc.nodes, tc.pct, got, tc.want)
		}
	}
}
