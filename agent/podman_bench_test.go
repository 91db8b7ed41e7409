package agent

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// BenchmarkPodmanPodStart measures one new pod from its appearance in the
// control plane to a Running status with its container up in Podman: the
// agent's part of the commit-to-running-container target (1.5 s).
//
//	go test -run '^$' -bench PodmanPodStart -benchtime 10x ./agent
func BenchmarkPodmanPodStart(b *testing.B) { benchmarkPodStart(b, 1) }

// BenchmarkPodmanThreePodsStart is three new pods at once (a Deployment of 3).
func BenchmarkPodmanThreePodsStart(b *testing.B) { benchmarkPodStart(b, 3) }

func benchmarkPodStart(b *testing.B, n int) {
	requirePodman(b)
	cp := newFakeControlPlane()
	ag := startAgent(b, cp, b.TempDir())
	ag.agent.log = slog.New(slog.DiscardHandler)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var names []string
		for j := 0; j < n; j++ {
			name := fmt.Sprintf("bench-%d-%d", n, i*n+j)
			names = append(names, name)
			cp.putPod(testPod(name, fmt.Sprintf("44444444-aaaa-4000-%04d-%012d", n, i*n+j),
				corev1.Container{Name: "c", Image: testImage, ImagePullPolicy: corev1.PullNever}))
		}
		for _, name := range names {
			waitStatus(b, cp, name, 30*time.Second, name+" Running", allRunning(1))
		}
		b.StopTimer()
		for _, name := range names {
			cp.deletePod("default", name)
		}
		b.StartTimer()
	}
}
