package controllers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// startManager opens a real Badger store (on disk in a temp dir) and runs
// a Manager on it until the test ends.
func startManager(t testing.TB, cfg Options) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log == nil {
		cfg.Log = discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewManager(st, cfg).Run(ctx) }()
	go finalizeTerminatingPods(ctx, st)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		st.Close()
	})
	return st
}

func registerNode(t testing.TB, st *store.Store, name, cpu string, heartbeat time.Time, ready bool) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	objects.SetTypeMeta(n, "Node")
	n.Status.Capacity = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110"),
	}
	n.Status.Allocatable = n.Status.Capacity.DeepCopy()
	MarkHeartbeat(n, heartbeat)
	if !ready {
		n.Status.Conditions[0].Status = corev1.ConditionFalse
	}
	write(t, st, func(tx *store.Tx) error {
		old, err := tx.Get(objects.KeyOf(n))
		if errors.Is(err, store.ErrNotFound) {
			return tx.Create(n)
		}
		if err != nil {
			return err
		}
		n.ResourceVersion = old.GetResourceVersion()
		return tx.UpdateStatus(n)
	})
}

func write(t testing.TB, st *store.Store, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := st.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// editDeployment applies fn to the stored Deployment, as a git apply would.
func editDeployment(t testing.TB, st *store.Store, name string, fn func(*appsv1.Deployment)) {
	t.Helper()
	write(t, st, func(tx *store.Tx) error {
		o, err := tx.Get(objects.Key{Kind: "Deployment", Namespace: "default", Name: name})
		if err != nil {
			return err
		}
		d := o.(*appsv1.Deployment)
		fn(d)
		return tx.Update(d)
	})
}

// waitFor polls the store until check returns "" or 10 s pass.
func waitFor(t testing.TB, st *store.Store, what string, check func(pods []*corev1.Pod, rses []*appsv1.ReplicaSet) string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, what, func() error {
		if msg := check(storedPods(t, st), storedReplicaSets(t, st)); msg != "" {
			return errors.New(msg)
		}
		return nil
	})
}

func storedPods(t testing.TB, st *store.Store) []*corev1.Pod {
	objs, _, err := st.List("Pod", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []*corev1.Pod
	for _, o := range objs {
		out = append(out, o.(*corev1.Pod))
	}
	return out
}

func storedReplicaSets(t testing.TB, st *store.Store) []*appsv1.ReplicaSet {
	objs, _, err := st.List("ReplicaSet", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []*appsv1.ReplicaSet
	for _, o := range objs {
		out = append(out, o.(*appsv1.ReplicaSet))
	}
	return out
}

// boundPods checks that exactly n pods exist, all bound to node and all
// running image.
func boundPods(n int, node, image string) func([]*corev1.Pod, []*appsv1.ReplicaSet) string {
	return func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		if len(pods) != n {
			return fmt.Sprintf("%d pods, want %d", len(pods), n)
		}
		for _, p := range pods {
			if p.Spec.NodeName != node || p.Spec.Containers[0].Image != image {
				return fmt.Sprintf("pod %s on %q runs %s", p.Name, p.Spec.NodeName, p.Spec.Containers[0].Image)
			}
			if c := podCondition(p, corev1.PodScheduled); c == nil || c.Status != corev1.ConditionTrue {
				return fmt.Sprintf("pod %s has no PodScheduled=True", p.Name)
			}
		}
		return ""
	}
}

func TestManagerDeploymentLifecycle(t *testing.T) {
	st := startManager(t, Options{})
	registerNode(t, st, "n1", "4", time.Now(), true)
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("web", 2, "img:v1")) })
	waitFor(t, st, "2 pods bound to n1", boundPods(2, "n1", "img:v1"))

	d, err := st.Get(objects.Key{Kind: "Deployment", Namespace: "default", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range storedPods(t, st) {
		rsRef := metav1.GetControllerOf(p)
		rs, err := st.Get(objects.Key{Kind: "ReplicaSet", Namespace: "default", Name: rsRef.Name})
		if err != nil || !ownedBy(rs, d) || !ownedBy(p, rs) {
			t.Fatalf("pod %s: owner chain broken (%v)", p.Name, err)
		}
	}

	editDeployment(t, st, "web", func(d *appsv1.Deployment) { *d.Spec.Replicas = 3 })
	waitFor(t, st, "3 pods", boundPods(3, "n1", "img:v1"))
	editDeployment(t, st, "web", func(d *appsv1.Deployment) { *d.Spec.Replicas = 1 })
	waitFor(t, st, "1 pod", boundPods(1, "n1", "img:v1"))

	// No agent makes these pods ready, so a rolling update would wait for
	// the new pod forever (as it should); Recreate replaces without waiting.
	editDeployment(t, st, "web", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "img:v2"
		d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	})
	waitFor(t, st, "pods replaced, old ReplicaSet at 0", func(pods []*corev1.Pod, rses []*appsv1.ReplicaSet) string {
		if msg := boundPods(1, "n1", "img:v2")(pods, rses); msg != "" {
			return msg
		}
		if len(rses) != 2 {
			return fmt.Sprintf("%d ReplicaSets, want 2", len(rses))
		}
		for _, rs := range rses {
			want := int32(0)
			if rs.Spec.Template.Spec.Containers[0].Image == "img:v2" {
				want = 1
			}
			if *rs.Spec.Replicas != want || rs.Status.Replicas != want {
				return fmt.Sprintf("%s: spec %d status %d, want %d", rs.Name, *rs.Spec.Replicas, rs.Status.Replicas, want)
			}
		}
		return ""
	})
	waitForDeploymentStatus(t, st, "web", func(s appsv1.DeploymentStatus) bool {
		return s.Replicas == 1 && s.UpdatedReplicas == 1 && s.ObservedGeneration == 4
	})

	write(t, st, func(tx *store.Tx) error {
		return tx.Delete(objects.Key{Kind: "Deployment", Namespace: "default", Name: "web"})
	})
	waitFor(t, st, "everything removed", func(pods []*corev1.Pod, rses []*appsv1.ReplicaSet) string {
		if len(pods)+len(rses) > 0 {
			return fmt.Sprintf("%d pods and %d ReplicaSets left", len(pods), len(rses))
		}
		return ""
	})
}

func waitForDeploymentStatus(t *testing.T, st *store.Store, name string, ok func(appsv1.DeploymentStatus) bool) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, "Deployment "+name+" status", func() error {
		o, err := st.Get(objects.Key{Kind: "Deployment", Namespace: "default", Name: name})
		if err != nil {
			return err
		}
		if st := o.(*appsv1.Deployment).Status; !ok(st) {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}

func TestManagerUnschedulableUntilNodeIsReady(t *testing.T) {
	st := startManager(t, Options{})
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("web", 2, "img")) })
	unschedulable := func(msg string) func([]*corev1.Pod, []*appsv1.ReplicaSet) string {
		return func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
			if len(pods) != 2 {
				return fmt.Sprintf("%d pods", len(pods))
			}
			for _, p := range pods {
				c := podCondition(p, corev1.PodScheduled)
				if p.Spec.NodeName != "" || c == nil || c.Status != corev1.ConditionFalse || c.Reason != "Unschedulable" || c.Message != msg {
					return fmt.Sprintf("pod %s: node %q condition %+v", p.Name, p.Spec.NodeName, c)
				}
			}
			return ""
		}
	}
	waitFor(t, st, "no-node condition", unschedulable("no nodes available to schedule pods: no node has registered yet; start an agent (reconcile agent) on a host"))
	registerNode(t, st, "n1", "4", time.Now(), false)
	registerNode(t, st, "n2", "4", time.Now(), false)
	waitFor(t, st, "not-ready condition", unschedulable("0/2 nodes are available: 2 node(s) were not ready."))
	registerNode(t, st, "n2", "4", time.Now(), true)
	waitFor(t, st, "pods bound once n2 is ready", boundPods(2, "n2", "img"))
}

func TestManagerMarksSilentNodeUnknown(t *testing.T) {
	clock := testkit.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	st := startManager(t, Options{Now: clock.Now, Resync: 10 * time.Millisecond})
	registerNode(t, st, "n1", "4", clock.Now(), true)
	clock.Add(DefaultNodeMonitorGracePeriod + time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, err := st.Get(objects.Key{Kind: "Node", Name: "n1"})
		if err != nil {
			t.Fatal(err)
		}
		if c := nodeReady(o.(*corev1.Node)); c.Status == corev1.ConditionUnknown && c.Reason == ReasonNodeStatusUnknown {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node still %+v", nodeReady(o.(*corev1.Node)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
