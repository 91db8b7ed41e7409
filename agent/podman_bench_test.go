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
func BenchmarkPodmanPodStart(b *testing.B) {
	requirePodman(b)
	cp := newFakeControlPlane()
	ag := startAgent(b, cp, b.TempDir())
	ag.agent.log = slog.New(slog.DiscardHandler)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		p := testPod(name, fmt.Sprintf("44444444-aaaa-4000-8000-%012d", i), corev1.Container{Name: "c", Image: testImage, ImagePullPolicy: corev1.PullNever})
		cp.putPod(p)
		waitStatus(b, cp, name, 30*time.Second, name+" Running", allRunning(1))
		b.StopTimer()
		cp.deletePod("default", name)
		b.StartTimer()
	}
}
