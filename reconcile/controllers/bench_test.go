package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// waitBound reads the store's watch until want distinct pods are bound.
func waitBound(b *testing.B, st *store.Store, events <-chan store.Event, want int) {
	b.Helper()
	bound := map[string]bool{}
	timeout := time.After(60 * time.Second)
	for len(bound) < want {
		select {
		case ev, ok := <-events:
			if !ok {
				b.Fatal("watch closed")
			}
			if p, isPod := ev.Object.(*corev1.Pod); isPod && p.Spec.NodeName != "" && ev.Type != store.Deleted {
				bound[p.Namespace+"/"+p.Name] = true
			}
		case <-timeout:
			b.Fatalf("%d of %d pods bound after 60 s", len(bound), want)
		}
	}
}

// BenchmarkDeploymentToBinding measures the controller's share of the
// commit-to-running path: one Deployment of one replica is created and the
// benchmark waits until its pod is bound (Deployment → ReplicaSet → Pod →
// binding: four steps, each its own store transaction on disk).
func BenchmarkDeploymentToBinding(b *testing.B) {
	st := startManager(b, Options{})
	registerNode(b, st, "n1", "64", time.Now(), true)
	// Room for every iteration's pod: with the default 110 pods the node
	// is full after 110 iterations and the benchmark times out.
	write(b, st, func(tx *store.Tx) error {
		o, err := tx.Get(objects.Key{Kind: "Node", Name: "n1"})
		if err != nil {
			return err
		}
		n := o.(*corev1.Node)
		n.Status.Capacity[corev1.ResourcePods] = resource.MustParse("1000000")
		n.Status.Allocatable[corev1.ResourcePods] = resource.MustParse("1000000")
		return tx.UpdateStatus(n)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := st.Watch(ctx, st.ResourceVersion())
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		d := deployment(fmt.Sprintf("web-%d", i), 1, "img")
		write(b, st, func(tx *store.Tx) error { return tx.Create(d) })
		waitBound(b, st, events, 1)
	}
}

// BenchmarkManyDeployments creates 1,000 Deployments of 2 replicas in one
// transaction (one big git commit) on 100 nodes and waits until all 2,000
// pods are bound. cpu-ms/op is the process CPU time of that part (the
// wall time depends on the machine's load far more).
func BenchmarkManyDeployments(b *testing.B) {
	const deployments, nodes = 1000, 100
	var cpu time.Duration
	defer func() { b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op") }()
	for range b.N {
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
		b.StartTimer()
		start := cpuTime()
		write(b, st, func(tx *store.Tx) error {
			for i := range deployments {
				if err := tx.Create(deployment(fmt.Sprintf("web-%04d", i), 2, "img")); err != nil {
					return err
				}
			}
			return nil
		})
		waitBound(b, st, events, 2*deployments)
		cpu += cpuTime() - start
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
