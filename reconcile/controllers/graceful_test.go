package controllers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// finalizeTerminatingPods stands in for the node agents in manager tests:
// a pod deleted gracefully (deletionTimestamp set) is removed for good, as
// an agent does once it has stopped the pod's containers.
func finalizeTerminatingPods(ctx context.Context, st *store.Store) {
	events, err := st.Watch(ctx, 0)
	if err != nil {
		return
	}
	for ev := range events {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || ev.Type == store.Deleted || p.DeletionTimestamp == nil {
			continue
		}
		st.Update(func(tx *store.Tx) error {
			cur, err := tx.Get(objects.KeyOf(p))
			if errors.Is(err, store.ErrNotFound) || (err == nil && cur.GetUID() != p.UID) {
				return nil
			}
			if err != nil {
				return err
			}
			return tx.Delete(objects.KeyOf(p))
		})
	}
}

func TestManagerEvictsPodsOfLostNode(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	st := startManager(t, Options{Now: clock.Now, Resync: 5 * time.Millisecond})
	registerNode(t, st, "n1", "4", clock.Now(), true)
	registerNode(t, st, "n2", "4", clock.Now(), true)
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("web", 4, "img")) })
	waitFor(t, st, "4 pods bound", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		bound, onN2 := 0, 0
		for _, p := range pods {
			if p.Spec.NodeName != "" {
				bound++
			}
			if p.Spec.NodeName == "n2" {
				onN2++
			}
		}
		if bound != 4 || onN2 == 0 {
			return fmt.Sprintf("%d bound, %d on n2 (the test needs some there)", bound, onN2)
		}
		return ""
	})
	// n2 stops heartbeating; n1 keeps going. After the grace period n2 is
	// Unknown, after the eviction timeout its pods are replaced on n1.
	clock.Add(DefaultNodeMonitorGracePeriod + time.Second)
	registerNode(t, st, "n1", "4", clock.Now(), true)
	waitFor(t, st, "n2 marked not ready and tainted unreachable", func([]*corev1.Pod, []*appsv1.ReplicaSet) string {
		o, _ := st.Get(objects.Key{Kind: "Node", Name: "n2"})
		n := o.(*corev1.Node)
		if c := nodeReady(n); c.Status != corev1.ConditionUnknown {
			return "n2 " + string(c.Status)
		}
		if findTaint(n.Spec.Taints, &taintUnreachableNoExecute) == nil {
			return fmt.Sprintf("n2 taints %v", n.Spec.Taints)
		}
		return ""
	})
	clock.Add(time.Duration(DefaultTolerationSeconds)*time.Second + time.Second)
	registerNode(t, st, "n1", "4", clock.Now(), true)
	waitFor(t, st, "every pod on n1", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		if len(pods) != 4 {
			return fmt.Sprintf("%d pods", len(pods))
		}
		for _, p := range pods {
			if p.Spec.NodeName != "n1" {
				return p.Name + " on " + p.Spec.NodeName
			}
		}
		return ""
	})
}

func TestPartitionPodsKeepsTerminatingPodsResources(t *testing.T) {
	ts := metav1.NewTime(t0)
	pod := func(name, node string, phase corev1.PodPhase, deleting bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: phase}}
		if deleting {
			p.DeletionTimestamp = &ts
		}
		return p
	}
	pending, bound := partitionPods([]*corev1.Pod{
		pod("new", "", corev1.PodPending, false),
		pod("unbound-deleting", "", corev1.PodPending, true),
		pod("running", "n1", corev1.PodRunning, false),
		pod("terminating", "n1", corev1.PodRunning, true),
		pod("done", "n1", corev1.PodSucceeded, false),
	})
	names := func(ps []*corev1.Pod) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return fmt.Sprint(out)
	}
	if names(pending) != "[new]" || names(bound) != "[running terminating]" {
		t.Fatalf("pending %s bound %s; want [new] and [running terminating]", names(pending), names(bound))
	}
}

// TestManagerEvictsNothingUnderFullDisruption: both nodes stop
// heartbeating; once both are Unknown no NoExecute taint is left and, long
// past the toleration, every pod is still there. A Deployment created
// afterwards, whose pod the scheduler (a Quiet step: it runs once every
// other step is idle) reports unschedulable, shows the runner has passed
// over the steps on the advanced clock.
func TestManagerEvictsNothingUnderFullDisruption(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	st := startManager(t, Options{Now: clock.Now, Resync: 5 * time.Millisecond})
	registerNode(t, st, "n1", "4", clock.Now(), true)
	registerNode(t, st, "n2", "4", clock.Now(), true)
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("web", 4, "img")) })
	waitFor(t, st, "4 pods bound", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		for _, p := range pods {
			if p.Spec.NodeName == "" {
				return p.Name + " not bound"
			}
		}
		if len(pods) != 4 {
			return fmt.Sprintf("%d pods", len(pods))
		}
		return ""
	})
	before := storedPods(t, st)
	clock.Add(DefaultNodeMonitorGracePeriod + time.Second)
	waitFor(t, st, "both nodes Unknown without NoExecute taints", func([]*corev1.Pod, []*appsv1.ReplicaSet) string {
		for _, name := range []string{"n1", "n2"} {
			o, _ := st.Get(objects.Key{Kind: "Node", Name: name})
			n := o.(*corev1.Node)
			if c := nodeReady(n); c.Status != corev1.ConditionUnknown || hasOwnedNoExecute(n.Spec.Taints) || findTaint(n.Spec.Taints, &taintUnreachNoSchedule) == nil {
				return fmt.Sprintf("%s %s taints %v", name, c.Status, n.Spec.Taints)
			}
		}
		return ""
	})
	clock.Add(time.Hour)
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("probe", 1, "img")) })
	waitFor(t, st, "the probe pod reported unschedulable", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		for _, p := range pods {
			if p.Labels["app"] == "probe" {
				if c := podCondition(p, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse {
					return ""
				}
			}
		}
		return "not yet"
	})
	after := map[string]bool{}
	for _, p := range storedPods(t, st) {
		after[string(p.UID)] = true
	}
	for _, p := range before {
		if !after[string(p.UID)] {
			t.Errorf("pod %s was evicted while no node was Ready", p.Name)
		}
	}
}
