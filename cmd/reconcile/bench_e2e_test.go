package main

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// BenchmarkCommitToRunning measures, ten times, the time from `git commit`
// of one more replica to the new pod reported Running with its container
// started, through the whole path: fsnotify, fetch, validate, apply,
// Deployment and ReplicaSet controllers, scheduler, agent, Podman, status.
// It reports the median (the target: at most 1.5 s).
func BenchmarkCommitToRunning(b *testing.B) {
	c := newCluster(b, baseFiles(1, "localhost/reconcile-hello:v1"))
	c.waitRunning(1, "localhost/reconcile-hello:v1")
	api := c.api()
	const runs = 10
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		took = took[:0]
		for n := 2; n < 2+runs; n++ {
			start := time.Now()
			c.commit(fmt.Sprintf("scale to %d", n), map[string]string{"web.yaml": deployment(n, "localhost/reconcile-hello:v1")})
			if err := testkit.Poll(30*time.Second, func() error { return runningCount(api, n) }); err != nil {
				b.Fatalf("scale to %d: %v\n%s", n, err, tail(c.logs(), 30))
			}
			took = append(took, time.Since(start))
		}
		b.StopTimer()
		c.commit("scale to 1", map[string]string{"web.yaml": deployment(1, "localhost/reconcile-hello:v1")})
		if err := testkit.Poll(60*time.Second, func() error { return runningCount(api, 1) }); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64((took[runs/2-1]+took[runs/2])/2)/1e6, "median-ms")
	b.ReportMetric(float64(took[runs-1])/1e6, "max-ms")
	b.ReportMetric(float64(took[0])/1e6, "min-ms")
}

func runningCount(api *apiclient.Client, n int) error {
	items, _, err := api.List(context.Background(), "Pod", "e2e", nil)
	if err != nil {
		return err
	}
	var pods []corev1.Pod
	for _, o := range items {
		pods = append(pods, *o.(*corev1.Pod))
	}
	if r := len(runningPods(pods)); r != n {
		return fmt.Errorf("%d of %d running", r, n)
	}
	return nil
}
