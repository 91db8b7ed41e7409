package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// priorityFiles: two classes, and a low-priority Deployment whose two
// pods of half a cpu each fill a node of one allocatable cpu; each pod
// appends "<pod> terminated" to sigDir/term when it gets SIGTERM.
func priorityFiles(sigDir string) map[string]string {
	return map[string]string{
		"namespace.yaml": e2eNamespace,
		"classes.yaml": `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: low
value: 100
description: batch work that may wait
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high
value: 1000000
description: serving
`,
		"filler.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: filler
  namespace: e2e
spec:
  replicas: 2
  selector:
    matchLabels: {app: filler}
  template:
    metadata:
      labels: {app: filler}
    spec:
      priorityClassName: low
      terminationGracePeriodSeconds: 15
      volumes: [{name: sig, hostPath: {path: %s, type: DirectoryOrCreate}}]
      containers:
        - name: hello
          image: %s
          imagePullPolicy: IfNotPresent
          env: [{name: SIGTERM_FILE, value: /sig/term}]
          volumeMounts: [{name: sig, mountPath: /sig}]
          resources: {requests: {cpu: 500m}}
`, sigDir, helloV1),
	}
}

// TestE2EPreemption: on a node of one allocatable cpu (--system-reserved
// takes the rest), a low-priority Deployment fills the node; a committed
// high-priority pod preempts one of its pods, which is stopped gracefully
// (SIGTERM, event Preempted), then runs; the low pod's replacement stays
// Pending with Kubernetes' insufficient-cpu message.
func TestE2EPreemption(t *testing.T) {
	sigDir := t.TempDir()
	reserved := fmt.Sprintf("cpu=%dm", max(runtime.NumCPU()-1, 0)*1000)
	c := newCluster(t, priorityFiles(sigDir), "--system-reserved", reserved)
	c.eventually(90*time.Second, "two filler pods running with priority 100", func() error {
		pods := c.pods("e2e")
		running := runningPods(pods)
		if len(pods) != 2 || len(running) != 2 {
			return fmt.Errorf("%d pods, %d running: %s", len(pods), len(running), summary(pods))
		}
		for _, p := range pods {
			if p.Spec.Priority == nil || *p.Spec.Priority != 100 {
				return fmt.Errorf("pod %s priority %v, want 100", p.Name, p.Spec.Priority)
			}
		}
		return nil
	})
	out, err := c.run("get", "pc")
	if err != nil || !strings.Contains(out, "system-node-critical") || !strings.Contains(out, "high") {
		t.Fatalf("get pc: %v\n%s", err, out)
	}

	c.commit("urgent", map[string]string{"urgent.yaml": helloPod("urgent", "", "      resources: {requests: {cpu: 500m}}\n", "  priorityClassName: high\n")})
	var victim string
	c.eventually(120*time.Second, "urgent running; one filler running, its replacement pending", func() error {
		pods := c.pods("e2e")
		var urgent, fillerRunning, fillerPending int
		var pendingMsg string
		for _, p := range pods {
			run := len(runningPods([]corev1.Pod{p})) == 1
			switch {
			case p.Name == "urgent" && run && p.Spec.NodeName == "e2e-node":
				urgent++
			case p.Name != "urgent" && run && p.DeletionTimestamp == nil:
				fillerRunning++
			case p.Name != "urgent" && p.Spec.NodeName == "":
				fillerPending++
				for _, cd := range p.Status.Conditions {
					if cd.Type == corev1.PodScheduled {
						pendingMsg = cd.Reason + ": " + cd.Message
					}
				}
			}
		}
		if urgent != 1 || fillerRunning != 1 || fillerPending != 1 || len(pods) != 3 {
			return fmt.Errorf("urgent %d, filler running %d, pending %d: %s", urgent, fillerRunning, fillerPending, summary(pods))
		}
		if want := "Unschedulable: 0/1 nodes are available: 1 Insufficient cpu."; pendingMsg != want {
			return fmt.Errorf("pending filler says %q, want %q", pendingMsg, want)
		}
		b, _ := os.ReadFile(filepath.Join(sigDir, "term"))
		lines := strings.Fields(string(b))
		if len(lines) == 0 {
			return fmt.Errorf("no filler pod got SIGTERM")
		}
		victim = lines[0]
		return nil
	})
	evs := c.events(victim)
	if !hasEvent(evs, "Preempted", "on node e2e-node") {
		t.Fatalf("victim %s has no Preempted event: %+v", victim, evs)
	}
	for _, e := range evs {
		if e.Reason == "Preempted" {
			t.Logf("victim %s: %s %s", victim, e.Reason, e.Message)
		}
	}
}
