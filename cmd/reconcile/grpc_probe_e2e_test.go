package main

// End to end: gRPC probes (grpc.health.v1) against the demo image's health
// server, whose services turn NOT_SERVING while a file exists in a hostPath
// directory the test controls.

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func grpcPod(healthDir string) string {
	return helloPod("grpc", `{name: GRPC_HEALTH_PORT, value: "9090"}, {name: GRPC_HEALTH_DIR, value: /health}`,
		`      volumeMounts: [{name: health, mountPath: /health}]
      readinessProbe: {grpc: {port: 9090, service: readiness}, periodSeconds: 1, failureThreshold: 1}
      livenessProbe: {grpc: {port: 9090, service: liveness}, periodSeconds: 1, failureThreshold: 2}
`, fmt.Sprintf("  volumes: [{name: health, hostPath: {path: %s, type: Directory}}]\n", healthDir))
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func TestE2EGRPCProbe(t *testing.T) {
	healthDir := t.TempDir()
	down := func(service string, on bool) {
		f := filepath.Join(healthDir, service+".down")
		if on {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	down("readiness", true)
	c := newCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "grpc.yaml": grpcPod(healthDir)})

	c.eventually(2*time.Minute, "running but not Ready while readiness is NOT_SERVING", func() error {
		p, _ := c.pod("grpc")
		cs := containerStatus(p)
		evs := c.events("grpc")
		if cs.State.Running == nil || podReady(p) || cs.Ready ||
			!hasEvent(evs, "Unhealthy", `Readiness probe failed: service unhealthy (responded with "NOT_SERVING")`) {
			return fmt.Errorf("state %+v ready %v events %s", cs.State, podReady(p), eventList(evs))
		}
		return nil
	})
	down("readiness", false)
	c.eventually(time.Minute, "Ready once readiness is SERVING", func() error {
		p, _ := c.pod("grpc")
		if !podReady(p) || !containerStatus(p).Ready {
			return fmt.Errorf("not Ready yet: %+v", p.Status.Conditions)
		}
		return nil
	})
	if p, _ := c.pod("grpc"); containerStatus(p).RestartCount != 0 {
		t.Fatalf("restarted while liveness was SERVING: %+v", containerStatus(p))
	}

	down("liveness", true)
	c.eventually(2*time.Minute, "restarted with Unhealthy and Killing events once liveness is NOT_SERVING", func() error {
		p, _ := c.pod("grpc")
		evs := c.events("grpc")
		if containerStatus(p).RestartCount < 1 ||
			!hasEvent(evs, "Unhealthy", `Liveness probe failed: service unhealthy (responded with "NOT_SERVING")`) ||
			!hasEvent(evs, "Killing", "failed liveness probe, will be restarted") {
			return fmt.Errorf("restartCount %d, events %s", containerStatus(p).RestartCount, eventList(evs))
		}
		return nil
	})
	down("liveness", false)
	c.eventually(2*time.Minute, "running and Ready again after the restart", func() error {
		p, _ := c.pod("grpc")
		if cs := containerStatus(p); cs.State.Running == nil || !podReady(p) {
			return fmt.Errorf("state %+v ready %v", cs.State, podReady(p))
		}
		return nil
	})
}
