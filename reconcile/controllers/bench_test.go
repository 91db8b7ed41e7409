package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
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
// pods are bound.
func BenchmarkManyDeployments(b *testing.B) {
	const deployments, nodes = 1000, 100
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
		write(b, st, func(tx *store.Tx) error {
			for i := range deployments {
				if err := tx.Create(deployment(fmt.Sprintf("web-%04d", i), 2, "img")); err != nil {
					return err
				}
			}
			return nil
		})
		waitBound(b, st, events, 2*deployments)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
