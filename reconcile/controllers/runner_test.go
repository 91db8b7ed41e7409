package controllers

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func pendingPod(name string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	objects.SetTypeMeta(p, "Pod")
	p.Spec.Containers = []corev1.Container{{Name: "c", Image: "img"}}
	return p
}

func storedPod(t *testing.T, st *store.Store, name string) *corev1.Pod {
	t.Helper()
	o, err := st.Get(objects.Key{Kind: "Pod", Namespace: "default", Name: name})
	if err != nil {
		return nil
	}
	return o.(*corev1.Pod)
}

// podEvents lists "reason/component" of the events about pod name.
func podEvents(t *testing.T, st *store.Store, name string) []string {
	t.Helper()
	objs, _, err := st.List("Event", "default")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		if ev := o.(*corev1.Event); ev.InvolvedObject.Name == name {
			out = append(out, ev.Reason+"/"+ev.Source.Component)
		}
	}
	slices.Sort(out)
	return out
}

// TestWriteChangesBindingsEvictionsPruning writes the Changes the
// scheduler, the eviction and the event pruning steps return, against a
// real store: a binding re-reads its pod and skips one deleted, replaced
// or bound meanwhile; a force delete is uid-checked; pruning drops old
// events.
func TestWriteChangesBindingsEvictionsPruning(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	write(t, st, func(tx *store.Tx) error {
		for _, n := range []string{"bind", "unschedulable", "replaced", "bound-meanwhile", "evict", "evict-replaced"} {
			if err := tx.Create(pendingPod(n)); err != nil {
				return err
			}
		}
		old := pendingPod("old-event-subject")
		return events.Record(tx, old, events.Normal, "Old", "long ago", "test", now.Add(-2*time.Hour))
	})
	cached := map[string]*corev1.Pod{}
	for _, p := range storedPods(t, st) {
		cached[p.Name] = p
	}
	// Meanwhile: one pod is deleted, one replaced (new uid), one bound by
	// someone else, and one pod to evict is replaced.
	write(t, st, func(tx *store.Tx) error {
		for _, n := range []string{"replaced", "evict-replaced"} {
			if err := tx.Delete(objects.Key{Kind: "Pod", Namespace: "default", Name: n}); err != nil {
				return err
			}
			if err := tx.Create(pendingPod(n)); err != nil {
				return err
			}
		}
		p := cached["bound-meanwhile"].DeepCopy()
		p.Spec.NodeName = "n2"
		return tx.Update(p)
	})
	deleted := pendingPod("deleted")
	deleted.UID = "gone"

	ch := Changes{
		Bindings: []Binding{
			{Pod: cached["bind"], Node: "n1"},
			{Pod: cached["unschedulable"], Message: "0/1 nodes are available: 1 Too many pods."},
			{Pod: cached["replaced"], Node: "n1"},
			{Pod: cached["bound-meanwhile"], Node: "n1"},
			{Pod: deleted, Node: "n1"},
		},
		ForceDelete: []objects.Object{cached["evict"], cached["evict-replaced"]},
		PruneEvents: true,
	}
	for _, n := range []string{"evict", "evict-replaced"} {
		ch.Event(cached[n], "node-controller", events.Warning, ReasonTaintManagerEviction, "node lost", now)
	}
	write(t, st, func(tx *store.Tx) error { return writeChanges(tx, ch, "default-scheduler", now) })

	for _, tc := range []struct {
		pod, node string
		scheduled corev1.ConditionStatus
		events    []string
	}{
		{"bind", "n1", corev1.ConditionTrue, []string{"Scheduled/default-scheduler"}},
		{"unschedulable", "", corev1.ConditionFalse, []string{"FailedScheduling/default-scheduler"}},
		{"replaced", "", "", nil},
		{"bound-meanwhile", "n2", "", nil},
		{"evict-replaced", "", "", nil},
	} {
		p := storedPod(t, st, tc.pod)
		if p == nil {
			t.Errorf("%s: gone", tc.pod)
			continue
		}
		var got corev1.ConditionStatus
		if c := podCondition(p, corev1.PodScheduled); c != nil {
			got = c.Status
		}
		if p.Spec.NodeName != tc.node || got != tc.scheduled {
			t.Errorf("%s: node %q PodScheduled %q, want %q %q", tc.pod, p.Spec.NodeName, got, tc.node, tc.scheduled)
		}
		if evs := podEvents(t, st, tc.pod); fmt.Sprint(evs) != fmt.Sprint(tc.events) {
			t.Errorf("%s: events %v, want %v", tc.pod, evs, tc.events)
		}
	}
	if storedPod(t, st, "evict") != nil {
		t.Errorf("the evicted pod is still stored")
	}
	if evs := podEvents(t, st, "evict"); fmt.Sprint(evs) != "[TaintManagerEviction/node-controller]" {
		t.Errorf("evicted pod's events: %v", evs)
	}
	if storedPod(t, st, "deleted") != nil {
		t.Errorf("a binding created a deleted pod")
	}
	if evs := podEvents(t, st, "old-event-subject"); len(evs) != 0 {
		t.Errorf("an event of two hours ago survived pruning: %v", evs)
	}
}

func TestSplitBindings(t *testing.T) {
	var bs []Binding
	for i := range 7 {
		bs = append(bs, Binding{Pod: pendingPod(fmt.Sprint(i)), Node: "n"})
	}
	ch := Changes{Bindings: bs, Events: []Event{{Reason: "x"}}}
	parts := splitBindings(ch, 3)
	var sizes []int
	for _, p := range parts {
		sizes = append(sizes, len(p.Bindings))
	}
	if fmt.Sprint(sizes) != "[3 3 1]" || len(parts[0].Events) != 1 || len(parts[1].Events)+len(parts[2].Events) != 0 {
		t.Errorf("parts of %v with events %d/%d/%d", sizes, len(parts[0].Events), len(parts[1].Events), len(parts[2].Events))
	}
	if got := splitBindings(ch, 7); len(got) != 1 {
		t.Errorf("split a step that fits: %d parts", len(got))
	}
}

// TestFailedStepWritesItsBindingsAlone: when a step's batch fails (here
// its create conflicts: the pod exists), its bindings are written one by
// one, so the pods it placed are bound and only the failed part waits for
// the retry.
func TestFailedStepWritesItsBindingsAlone(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write(t, st, func(tx *store.Tx) error {
		for _, n := range []string{"a", "b", "taken"} {
			if err := tx.Create(pendingPod(n)); err != nil {
				return err
			}
		}
		return nil
	})
	m := NewManager(st, Options{Log: discard})
	m.q = newQueue(0, func(int, objects.Key) {})
	ch := Changes{Create: []objects.Object{pendingPod("taken")}}
	for _, n := range []string{"a", "b"} {
		ch.Bindings = append(ch.Bindings, Binding{Pod: storedPod(t, st, n), Node: "n1"})
	}
	key := objects.Key{Kind: "Scheduler"}
	m.write(keyedChanges{key, &Controller{Component: "default-scheduler"}, ch}, time.Now())
	for _, n := range []string{"a", "b"} {
		if p := storedPod(t, st, n); p.Spec.NodeName != "n1" {
			t.Errorf("pod %s: nodeName %q, want n1 (bound alone after the step's batch failed)", n, p.Spec.NodeName)
		}
	}
	if _, retried := m.q.failures[key]; !retried {
		t.Errorf("the failed step is not queued for a retry")
	}
}

// TestPruneEventsInBoundedTransactions: more expired events than one
// transaction of the store holds are all pruned, in transactions of
// maxPrunedPerTx, where one transaction for all of them is refused.
func TestPruneEventsInBoundedTransactions(t *testing.T) {
	st, err := store.OpenWith(t.TempDir(), store.Options{MaxTxnObjects: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	const n = 10000
	for from := 0; from < n; from += 500 {
		write(t, st, func(tx *store.Tx) error {
			for i := from; i < from+500; i++ {
				if err := events.Record(tx, pendingPod(fmt.Sprintf("p%d", i)), events.Normal, "Old", "long ago", "test", now.Add(-2*time.Hour)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := st.Update(func(tx *store.Tx) error { _, err := events.Prune(tx, now); return err }); !errors.Is(err, store.ErrTxnTooBig) {
		t.Fatalf("pruning %d events in one transaction: %v, want ErrTxnTooBig (the test needs more events)", n, err)
	}
	m := NewManager(st, Options{Log: discard})
	if err := m.pruneEvents(now); err != nil {
		t.Fatal(err)
	}
	if left := st.Counts()["Event"]; left != 0 {
		t.Fatalf("%d events left, want 0", left)
	}
}
