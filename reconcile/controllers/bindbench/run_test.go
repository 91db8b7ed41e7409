package bindbench

import (
	"context"
	"testing"
	"time"
)

// TestRunBindsEveryPod runs a small shape end to end: Run returns only
// when the watch saw every pod bound, with figures that add up.
func TestRunBindsEveryPod(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := Shape{Nodes: 20, Deployments: 3, Replicas: 10}
	r, err := Run(ctx, t.TempDir(), s)
	if err != nil {
		t.Fatal(err)
	}
	if r.CommitToAllBound <= 0 || r.FirstBound > r.CommitToAllBound || r.PodsPerSecond <= 0 {
		t.Fatalf("figures do not add up: %+v", r)
	}
}

func TestShapeForKeepsTheIssueDensity(t *testing.T) {
	if s := ShapeFor(5000); s.Pods() != 150000 || s.Deployments != 1500 {
		t.Fatalf("ShapeFor(5000) = %+v (%d pods), want 1,500 Deployments, 150,000 pods", s, s.Pods())
	}
	if s := ShapeFor(100); s.Pods() != 3000 {
		t.Fatalf("ShapeFor(100) = %d pods, want 3,000", s.Pods())
	}
}

// TestRunPendingBindsEveryPreCreatedPod: the pods exist pending before
// the Manager starts, and the window starts at the first scheduling pass.
func TestRunPendingBindsEveryPreCreatedPod(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := RunPending(ctx, t.TempDir(), Shape{Nodes: 20, Deployments: 3, Replicas: 10})
	if err != nil {
		t.Fatal(err)
	}
	if r.Window <= 0 || r.Window > r.StartToAllBound || r.PodsPerSecond <= 0 {
		t.Fatalf("figures do not add up: %+v", r)
	}
}
