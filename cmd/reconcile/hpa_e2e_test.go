package main

// TestE2EHorizontalPodAutoscaler: a Deployment whose container burns CPU is
// scaled up by its HorizontalPodAutoscaler from the usage the agent reports,
// a commit changing its image keeps the autoscaler's replicas (and `reconcile
// diff` says the field is the autoscaler's), `reconcile top pods` shows the
// pods, and when the burn stops it scales back down after its (shortened)
// scale-down window.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

const hpaImage2 = "localhost/reconcile-testprog:hpa2"

// burnDeployment is a Deployment of testprog with a tiny cpu request, so
// that any burn is far above the autoscaler's target.
func burnDeployment(image, burn string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: burn, namespace: e2e}
spec:
  selector: {matchLabels: {app: burn}}
  template:
    metadata: {labels: {app: burn}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: %s
        imagePullPolicy: Never
        env: [{name: BURN_CPU, value: %q}]
        resources: {requests: {cpu: 20m, memory: 16Mi}}
`, image, burn)
}

const burnHPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: burn, namespace: e2e}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: burn}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 5
`

func (c *cluster) hpa(ns, name string) *autoscalingv2.HorizontalPodAutoscaler {
	c.t.Helper()
	out, err := c.run("get", "hpa", name, "-n", ns, "-o", "json")
	if err != nil {
		c.t.Fatal(err)
	}
	var h autoscalingv2.HorizontalPodAutoscaler
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		c.t.Fatalf("decode hpa: %v\n%s", err, out)
	}
	return &h
}

// waitReplicas waits until the Deployment asks for n replicas and n of its
// pods run image.
func (c *cluster) waitReplicas(n int32, image string, d time.Duration) {
	c.t.Helper()
	c.eventually(d, fmt.Sprintf("%d burn pods running %s", n, image), func() error {
		dep := c.deployment("e2e", "burn")
		running := 0
		for _, p := range runningPods(c.pods("e2e")) {
			if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == image {
				running++
			}
		}
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas != n || running != int(n) {
			h := c.hpa("e2e", "burn")
			return fmt.Errorf("spec.replicas %v, %d running; hpa status %+v", ptrVal(dep.Spec.Replicas), running, h.Status)
		}
		return nil
	})
}

func ptrVal(p *int32) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func tagImage(t *testing.T, from, to string) {
	t.Helper()
	cmd := exec.Command("podman", append(append([]string{}, env.podman...), "tag", from, to)...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(env.dir, "containers.conf"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("podman tag %s %s: %v\n%s", from, to, err, out)
	}
}

func TestE2EHorizontalPodAutoscaler(t *testing.T) {
	needE2E(t)
	buildTestprog(t)
	tagImage(t, testprogImage, hpaImage2)
	c := newCluster(t, map[string]string{
		"namespace.yaml": e2eNamespace,
		"burn.yaml":      burnDeployment(testprogImage, "1"),
		"hpa.yaml":       burnHPA,
	}, "--usage-interval", "2s", "--horizontal-pod-autoscaler-sync-period", "2s")

	t.Run("a CPU-burning Deployment scales up to maxReplicas", func(t *testing.T) {
		c.waitReplicas(3, testprogImage, 3*time.Minute)
		var rescaled bool
		for _, e := range c.events("burn") {
			if e.Reason == "SuccessfulRescale" && e.InvolvedObject.Kind == "HorizontalPodAutoscaler" &&
				strings.Contains(e.Message, "reason: cpu resource utilization (percentage of request) above target") {
				rescaled = true
			}
		}
		if !rescaled {
			t.Errorf("no SuccessfulRescale event on the autoscaler: %+v", c.events("burn"))
		}
		h := c.hpa("e2e", "burn")
		if h.Status.DesiredReplicas != 3 || h.Status.LastScaleTime == nil || len(h.Status.CurrentMetrics) != 1 {
			t.Errorf("hpa status: %+v", h.Status)
		}
	})

	t.Run("top pods shows the pods' usage", func(t *testing.T) {
		c.eventually(time.Minute, "top pods lists the 3 burn pods", func() error {
			out, err := c.run("top", "pods", "-n", "e2e")
			if err != nil {
				return err
			}
			if !strings.HasPrefix(out, "NAME") || strings.Count(out, "burn-") != 3 {
				return fmt.Errorf("top pods:\n%s", out)
			}
			return nil
		})
		out, err := c.run("top", "nodes")
		if err != nil || !strings.Contains(out, "e2e-node") || strings.Contains(out, "<unknown>") {
			t.Errorf("top nodes: %v\n%s", err, out)
		}
	})

	t.Run("a commit changing the image keeps the autoscaler's replicas", func(t *testing.T) {
		// The working tree first: the live diff says who owns spec.replicas.
		if err := os.WriteFile(filepath.Join(c.repo, "burn.yaml"), []byte(burnDeployment(hpaImage2, "1")), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := c.run("diff", c.repo)
		if err != nil {
			t.Fatalf("diff: %v\n%s", err, out)
		}
		if !strings.Contains(out, "spec.replicas: 3 (owned by HorizontalPodAutoscaler e2e/burn; git says 1)") ||
			strings.Contains(out, "spec.replicas: 3 → 1") || !strings.Contains(out, hpaImage2) {
			t.Errorf("live diff does not leave spec.replicas to the autoscaler:\n%s", out)
		}
		c.waitApplied(c.commit("burn: new image", map[string]string{"burn.yaml": burnDeployment(hpaImage2, "1")}))
		c.waitReplicas(3, hpaImage2, 3*time.Minute)
	})

	t.Run("when the burn stops it scales back down", func(t *testing.T) {
		c.waitApplied(c.commit("burn: stop", map[string]string{"burn.yaml": burnDeployment(hpaImage2, "0")}))
		c.waitReplicas(1, hpaImage2, 4*time.Minute)
		var down bool
		for _, e := range c.events("burn") {
			if e.Reason == "SuccessfulRescale" && strings.Contains(e.Message, "New size: 1; reason: All metrics below target") {
				down = true
			}
		}
		if !down {
			t.Errorf("no scale-down event: %+v", c.events("burn"))
		}
		var cond *autoscalingv2.HorizontalPodAutoscalerCondition
		for i, x := range c.hpa("e2e", "burn").Status.Conditions {
			if x.Type == autoscalingv2.ScalingActive {
				cond = &c.hpa("e2e", "burn").Status.Conditions[i]
			}
		}
		if cond == nil || cond.Status != corev1.ConditionTrue || cond.Reason != "ValidMetricFound" {
			t.Errorf("ScalingActive: %+v", cond)
		}
	})
}
