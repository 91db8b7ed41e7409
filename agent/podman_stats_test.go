package agent

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

// TestPodmanStatsGiveEachPodsUsage: two readings of the real Podman
// service a moment apart give the running pod's usage (PodUsage matches
// the containers by ID).
func TestPodmanStatsGiveEachPodsUsage(t *testing.T) {
	cp := newFakeControlPlane()
	ag := startAgent(t, cp, t.TempDir())
	cp.putPod(testPod("usage", "55555555-aaaa-4000-0000-000000000001",
		corev1.Container{Name: "c", Image: testImage, ImagePullPolicy: corev1.PullNever}))
	waitStatus(t, cp, "usage", 60*time.Second, "usage Running", allRunning(1))
	ctx := context.Background()
	read := func() map[string]ContainerSample {
		samples, err := ag.rt.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]ContainerSample{}
		for _, s := range samples {
			out[s.ID] = s
		}
		return out
	}
	prev := read()
	cur := read()
	observed, err := ag.rt.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got *podmetrics.PodMetrics
	for _, pm := range PodUsage(observed, prev, cur) {
		if pm.Name == "usage" {
			got = &pm
		}
	}
	if got == nil || len(got.Containers) != 1 || got.Containers[0].Name != "c" {
		t.Fatalf("no usage for pod usage: %+v", got)
	}
	if mem := podmetrics.Memory(got.Containers[0].Usage); mem <= 0 {
		t.Errorf("memory working set %d, want > 0", mem)
	}
	if got.Window.Duration <= 0 {
		t.Errorf("window %v", got.Window)
	}
}

// BenchmarkPodmanStats is the cost of one usage reading (the agent makes
// one per --usage-interval) with 10 running pods.
//
//	go test -run '^$' -bench PodmanStats -benchtime 20x ./agent
func BenchmarkPodmanStats(b *testing.B) {
	cp := newFakeControlPlane()
	ag := startAgent(b, cp, b.TempDir())
	const n = 10
	for i := range n {
		name := fmt.Sprintf("stats-%d", i)
		cp.putPod(testPod(name, fmt.Sprintf("66666666-aaaa-4000-0000-%012d", i),
			corev1.Container{Name: "c", Image: testImage, ImagePullPolicy: corev1.PullNever}))
	}
	for i := range n {
		waitStatus(b, cp, fmt.Sprintf("stats-%d", i), 60*time.Second, "Running", allRunning(1))
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		samples, err := ag.rt.Stats(ctx)
		if err != nil || len(samples) < n {
			b.Fatalf("%d samples, %v", len(samples), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "µs/pod")
}
