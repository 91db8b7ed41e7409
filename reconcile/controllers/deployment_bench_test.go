package controllers

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// markAllReady plays the agents: every bound pod becomes Running and Ready.
func markAllReady(b *testing.B, st *store.Store) {
	objs, _, err := st.List("Pod", "")
	if err != nil {
		b.Fatal(err)
	}
	now := metav1.Now()
	write(b, st, func(tx *store.Tx) error {
		for _, o := range objs {
			p := o.(*corev1.Pod).DeepCopy()
			if p.Spec.NodeName == "" || objects.PodReady(p) {
				continue
			}
			p.Status.Phase = corev1.PodRunning
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now})
			if err := tx.UpdateStatus(p); err != nil {
				return err
			}
		}
		return nil
	})
}

// waitPods reads the watch until want pods of image are bound.
func waitPods(b *testing.B, events <-chan store.Event, image string, want int) {
	bound := map[string]bool{}
	timeout := time.After(120 * time.Second)
	for len(bound) < want {
		select {
		case ev := <-events:
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != store.Deleted && p.Spec.NodeName != "" && p.Spec.Containers[0].Image == image {
				bound[p.Name] = true
			}
		case <-timeout:
			b.Fatalf("%d of %d %s pods bound after 120 s", len(bound), want, image)
		}
	}
}

// waitAvailable polls until every Deployment reports all replicas available.
func waitAvailable(b *testing.B, st *store.Store, want int) {
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		objs, _, err := st.List("Deployment", "")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			if d := o.(*appsv1.Deployment); d.Status.AvailableReplicas == *d.Spec.Replicas {
				n++
			}
		}
		if n == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("Deployments not available after 120 s")
}

// BenchmarkCommitTouching1000Deployments is the speed target: 1,000
// running Deployments (2 ready replicas each, on 100 nodes) all get a new
// image in one commit (one transaction). Measured: the process CPU time
// (user+system, getrusage) from the commit until every Deployment has its
// new ReplicaSet and the rolling update's first surge pod is bound — the
// controller's whole reaction to the commit (Deployment, ReplicaSet and
// scheduler steps, their Badger writes and watch reads). Reported as
// cpu-ms/op; the target is at most 1,000.
func BenchmarkCommitTouching1000Deployments(b *testing.B) {
	const deployments, nodes = 1000, 100
	for i := range b.N {
		b.StopTimer()
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- NewManager(st, Options{Log: discard}).Run(ctx) }()
		for n := range nodes {
			registerNode(b, st, fmt.Sprintf("node-%03d", n), "64", time.Now(), true)
		}
		events, err := st.Watch(ctx, st.ResourceVersion())
		if err != nil {
			b.Fatal(err)
		}
		write(b, st, func(tx *store.Tx) error {
			for d := range deployments {
				if err := tx.Create(deployment(fmt.Sprintf("web-%04d", d), 2, "img:v1")); err != nil {
					return err
				}
			}
			return nil
		})
		waitPods(b, events, "img:v1", 2*deployments)
		markAllReady(b, st)
		waitAvailable(b, st, deployments)
		image := fmt.Sprintf("img:v%d", i+2)

		b.StartTimer()
		before := cpuTime()
		write(b, st, func(tx *store.Tx) error {
			objs, err := tx.List("Deployment", "")
			if err != nil {
				return err
			}
			for _, o := range objs {
				d := o.(*appsv1.Deployment).DeepCopy()
				d.Spec.Template.Spec.Containers[0].Image = image
				if err := tx.Update(d); err != nil {
					return err
				}
			}
			return nil
		})
		waitPods(b, events, image, deployments)
		cpu := cpuTime() - before
		b.StopTimer()
		b.ReportMetric(float64(cpu.Milliseconds()), "cpu-ms/op")
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
