package scheduler

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/scheduler/schedbench"
)

func assumeCluster() (nodes []*corev1.Node, bound, pending []*corev1.Pod, s *Scheduler) {
	nodes, bound, pending = schedbench.Cluster(schedbench.Shape{Nodes: 150, Zones: 3, Bound: 600, Pending: 900, ReplicasPerApp: 100, ConstrainedEvery: 3})
	s = New()
	s.DefaultSpreadSelector = DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
	return nodes, bound, pending, s
}

// TestAssumedPassesPlaceAsOnePass: placing the queue a round at a time
// (NextPending) with assumed placements gives every pod the node one
// pass over all of them gives, for several pass sizes: the asynchronous
// binding cycle changes when bindings are written, not where pods go.
func TestAssumedPassesPlaceAsOnePass(t *testing.T) {
	for _, perPass := range []int{1, 7, 100, 899, 900, 0} {
		t.Run(fmt.Sprintf("perPass=%d", perPass), func(t *testing.T) {
			nodes, bound, pending, s := assumeCluster()
			want := s.ScheduleOn(NewSnapshot(nodes, append(append([]*corev1.Pod{}, bound...), pending...)), pending).Bindings

			snap := NewSnapshot(nodes, append(append([]*corev1.Pod{}, bound...), pending...))
			a := *s
			a.Assume = true
			got := map[string]string{}
			for passes := 0; ; passes++ {
				if passes > len(pending)+1 {
					t.Fatal("NextPending never ends its round")
				}
				next, more := snap.NextPending(perPass)
				maps.Copy(got, a.ScheduleOn(snap, next).Bindings)
				if !more {
					break
				}
			}
			if !maps.Equal(got, want) {
				t.Fatalf("passes of %d placed %d pods, one pass %d; first difference: %s", perPass, len(got), len(want), firstDifference(got, want))
			}
			if snap.Assumed() != len(want) || len(snap.Pending()) != len(pending)-len(want) {
				t.Fatalf("%d assumed, %d pending; want %d assumed and the rest (%d) pending", snap.Assumed(), len(snap.Pending()), len(want), len(pending)-len(want))
			}
		})
	}
}

// TestAssumptionsTurnIntoBindingsOrAreForgotten: bindings coming back
// replace their assumptions, forgotten ones leave their nodes and queue
// the pod again; either way the snapshot counts as a fresh one built
// from what the store holds.
func TestAssumptionsTurnIntoBindingsOrAreForgotten(t *testing.T) {
	nodes, bound, pending, s := assumeCluster()
	snap := NewSnapshot(nodes, append(append([]*corev1.Pod{}, bound...), pending...))
	a := *s
	a.Assume = true
	res := a.ScheduleOn(snap, pending[:300])
	if len(res.Bindings) != 300 || snap.Assumed() != 300 {
		t.Fatalf("%d placed, %d assumed; want 300 and 300", len(res.Bindings), snap.Assumed())
	}

	cur := map[string]*corev1.Pod{}
	for _, p := range append(append([]*corev1.Pod{}, bound...), pending...) {
		cur[PodKey(p)] = p
	}
	// Assumed placements count at once, as if bound.
	asBound := maps.Clone(cur)
	for _, p := range pending[:300] {
		q := p.DeepCopy()
		q.Spec.NodeName = res.Bindings[PodKey(p)]
		asBound[PodKey(q)] = q
	}
	if a, b := accounting(snap.infos), accounting(NewSnapshot(nodes, sortedPods(asBound)).infos); !maps.Equal(a, b) {
		t.Fatalf("assumed placements do not count as bound ones: %s", firstDifference(a, b))
	}

	for i, p := range pending[:300] {
		switch i % 3 {
		case 0: // the binding comes back
			q := asBound[PodKey(p)]
			snap.SetPod(q)
			cur[PodKey(q)] = q
		case 1: // a status update written before the binding: still assumed
			q := p.DeepCopy()
			q.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse}}
			snap.SetPod(q)
			snap.Forget(q) // then the binding failed
			cur[PodKey(q)] = q
		case 2: // the binding failed
			snap.Forget(p)
		}
	}
	if snap.Assumed() != 0 {
		t.Fatalf("%d pods still assumed", snap.Assumed())
	}
	sameAsFresh(t, s, snap, nodes, cur, pending[300:])
}

// TestAReplacedPodEndsItsAssumption: a pod deleted and created again
// under the same name (another uid) while its binding was in flight is
// a new pod in the queue, and a late Forget of the old one changes
// nothing.
func TestAReplacedPodEndsItsAssumption(t *testing.T) {
	nodes, bound, pending, s := assumeCluster()
	snap := NewSnapshot(nodes, append(append([]*corev1.Pod{}, bound...), pending...))
	a := *s
	a.Assume = true
	p := pending[0]
	if res := a.ScheduleOn(snap, []*corev1.Pod{p}); len(res.Bindings) != 1 {
		t.Fatalf("not placed: %+v", res)
	}
	snap.DeletePod(p)
	q := p.DeepCopy()
	q.UID = types.UID("another")
	snap.SetPod(q)
	snap.Forget(p)
	if snap.Assumed() != 0 || len(snap.Pending()) != len(pending) {
		t.Fatalf("%d assumed, %d pending; want 0 and %d", snap.Assumed(), len(snap.Pending()), len(pending))
	}
	if got := snap.pending[PodKey(q)]; got != q {
		t.Fatal("the new pod is not the one queued")
	}
}

// TestNextPendingRounds: a round walks the queue in its order, limit
// at a time; a pod joining the queue is sorted into what is left of the
// round (the pods already handed out are not handed out again); a call
// after the round's end starts the next one with every pending pod
// (pods that fit nowhere are tried again).
func TestNextPendingRounds(t *testing.T) {
	_, _, pending, _ := assumeCluster()
	snap := NewSnapshot(nil, pending[:10])
	names := func(ps []*corev1.Pod) (out []string) {
		for _, p := range ps {
			out = append(out, PodKey(p))
		}
		return out
	}
	first, more := snap.NextPending(4)
	if len(first) != 4 || !more {
		t.Fatalf("first call: %d pods, more=%v; want 4, true", len(first), more)
	}
	for i := 1; i < len(first); i++ {
		if queueLess(first[i], first[i-1]) {
			t.Fatalf("not in the queue's order: %v", names(first))
		}
	}
	urgent := pending[10].DeepCopy()
	prio := int32(1000)
	urgent.Spec.Priority = &prio
	snap.SetPod(urgent)
	rest, more := snap.NextPending(100)
	if len(rest) != 7 || more || PodKey(rest[0]) != PodKey(urgent) {
		t.Fatalf("after a high-priority pod joined: %v, more=%v; want it first, then the other 6, and the round's end", names(rest), more)
	}
	all, more := snap.NextPending(0)
	if len(all) != 11 || more || PodKey(all[0]) != PodKey(urgent) {
		t.Fatalf("the next round: %v, more=%v; want all 11, the urgent pod first", names(all), more)
	}
	// A node added during a round: at its end the next one is asked for.
	snap.NextPending(5)
	nodes, _, _ := schedbench.Cluster(schedbench.Shape{Nodes: 1, Zones: 1})
	snap.SetNode(nodes[0])
	if _, more := snap.NextPending(100); !more {
		t.Fatal("a round during which a node was added ends without asking for the next one")
	}
	if again, more := snap.NextPending(100); len(again) != 11 || more {
		t.Fatalf("the round after: %d pods, more=%v; want all 11 and its end", len(again), more)
	}
}

// A pod nominated to a node by an earlier pass of the round is in every
// later pass, so its hold on the node's room counts against their pods.
func TestNextPendingKeepsNomineesInEveryPass(t *testing.T) {
	_, _, pending, _ := assumeCluster()
	snap := NewSnapshot(nil, pending[:10])
	first, _ := snap.NextPending(4)
	nominee := first[0].DeepCopy()
	nominee.Status.NominatedNodeName = "node-0"
	snap.SetPod(nominee) // the nomination written back, as the controllers do
	second, more := snap.NextPending(4)
	if len(second) != 5 || !more || !slices.ContainsFunc(second, func(p *corev1.Pod) bool { return p == nominee }) {
		t.Fatalf("second pass: %d pods (more=%v), nominee in it: %v; want the 4 next and the nominee",
			len(second), more, slices.Contains(second, nominee))
	}
	snap.DeletePod(nominee)
	if third, _ := snap.NextPending(4); len(third) != 2 || slices.Contains(third, nominee) {
		t.Fatalf("after the nominee was deleted: %d pods, want the last 2 without it", len(third))
	}
}

func sortedPods(m map[string]*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
