package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// quotaFiles: a LimitRange defaulting memory, a quota of 1Gi of requested
// memory, 2Gi of limits and three pods, and a bare pod without resources.
func quotaFiles() map[string]string {
	return map[string]string{
		"namespace.yaml": e2eNamespace,
		"limits.yaml": `apiVersion: v1
kind: LimitRange
metadata:
  name: mem-limit-range
  namespace: e2e
spec:
  limits:
  - default:
      memory: 512Mi
    defaultRequest:
      memory: 256Mi
    type: Container
`,
		"quota.yaml": `apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute-resources
  namespace: e2e
spec:
  hard:
    requests.memory: 1Gi
    limits.memory: 2Gi
    pods: "3"
`,
		"plain.yaml": helloPod("plain", "", "", ""),
	}
}

func quotaDeployment(replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: hello
          image: %s
          imagePullPolicy: IfNotPresent
`, replicas, helloV1)
}

// TestE2EQuotaAndLimitRange on one `up`: a pod without resources runs with
// the LimitRange's defaults (in its stored spec and in Podman's memory
// limit); a commit that would exceed the quota is refused whole at the
// crossing object's file:line:col while the previous commit keeps
// running; a Deployment scaled beyond the quota's pod count gets its pods
// up to the quota and FailedCreate on its ReplicaSet; get and describe
// show the quota's use.
func TestE2EQuotaAndLimitRange(t *testing.T) {
	c := newCluster(t, quotaFiles())
	var plain corev1.Pod
	c.eventually(90*time.Second, "the plain pod running with the LimitRange's memory", func() error {
		for _, p := range runningPods(c.pods("e2e")) {
			if p.Name == "plain" {
				plain = p
			}
		}
		if plain.Name == "" {
			return fmt.Errorf("plain not running: %s", summary(c.pods("e2e")))
		}
		r := plain.Spec.Containers[0].Resources
		if r.Requests.Memory().String() != "256Mi" || r.Limits.Memory().String() != "512Mi" {
			return fmt.Errorf("plain's resources %v, want requests.memory 256Mi and limits.memory 512Mi", r)
		}
		return nil
	})
	if a := plain.Annotations["kubernetes.io/limit-ranger"]; a != "LimitRanger plugin set: memory request for container hello; memory limit for container hello" {
		t.Errorf("limit-ranger annotation %q", a)
	}
	id := strings.TrimPrefix(containerStatus(plain).ContainerID, "podman://")
	mem, err := podmanCmd("inspect", "--format", "{{.HostConfig.Memory}}", id)
	if err != nil || strings.TrimSpace(mem) != "536870912" {
		t.Fatalf("Podman memory limit of plain's container %s: %q (%v), want 536870912 (512Mi)", id, mem, err)
	}

	t.Run("a commit over the quota is refused whole", func(t *testing.T) {
		hog := helloPod("hog", "", "      resources: {requests: {memory: 900Mi}, limits: {memory: 900Mi}}\n", "")
		bad := c.commit("a pod over the quota", map[string]string{"hog.yaml": hog, "extra.yaml": webConfig})
		at := regexp.MustCompile(`hog\.yaml:\d+:\d+: Pod/e2e/hog: pods "hog" is forbidden: exceeded quota: compute-resources, requested: requests.memory=900Mi, used: requests.memory=256Mi, limited: requests.memory=1Gi`)
		c.eventually(30*time.Second, "status names the refused commit and the crossing pod", func() error {
			out, err := c.run("status")
			if err != nil {
				return err
			}
			if !strings.Contains(out, bad[:12]) || !at.MatchString(out) {
				return fmt.Errorf("status lacks %s and %s:\n%s", bad[:12], at, out)
			}
			return nil
		})
		// Nothing of the commit was applied: no hog, no ConfigMap, plain unchanged.
		for _, p := range c.pods("e2e") {
			if p.Name == "hog" {
				t.Fatal("the refused commit's pod was created")
			}
		}
		if out, err := c.run("get", "configmaps", "-n", "e2e"); err != nil || strings.Contains(out, "web-config") {
			t.Fatalf("the refused commit's ConfigMap was created: %v\n%s", err, out)
		}
		running := runningPods(c.pods("e2e"))
		if len(running) != 1 || containerStatus(running[0]).ContainerID != containerStatus(plain).ContainerID {
			t.Fatalf("the previous commit's pod does not run on: %s", summary(running))
		}
	})

	t.Run("a Deployment over the pod count gets FailedCreate", func(t *testing.T) {
		c.commit("web within the quota", map[string]string{"hog.yaml": "", "extra.yaml": "", "web.yaml": quotaDeployment(2)})
		c.eventually(120*time.Second, "plain and two web pods running", func() error {
			if n := len(runningPods(c.pods("e2e"))); n != 3 {
				return fmt.Errorf("%d running: %s", n, summary(c.pods("e2e")))
			}
			return nil
		})
		// Three replicas fit the memory (checked at commit time) but not
		// the pod count, which Kubernetes checks as pods are created.
		c.commit("web over the pod count", map[string]string{"web.yaml": quotaDeployment(3)})
		c.eventually(60*time.Second, "FailedCreate with the quota's words on web's ReplicaSet", func() error {
			out, err := c.run("get", "events", "-n", "e2e", "-o", "json")
			if err != nil {
				return err
			}
			want := regexp.MustCompile(`Error creating: pods \\"web-[a-z0-9-]+\\" is forbidden: exceeded quota: compute-resources, requested: pods=1, used: pods=3, limited: pods=3`)
			if !strings.Contains(out, `"FailedCreate"`) || !want.MatchString(out) {
				return fmt.Errorf("no FailedCreate event with %s", want)
			}
			return nil
		})
		c.eventually(30*time.Second, "web's ReplicaSet has ReplicaFailure", func() error {
			out, err := c.run("get", "rs", "-n", "e2e", "-o", "json")
			if err != nil {
				return err
			}
			if !strings.Contains(out, `"type": "ReplicaFailure"`) || !strings.Contains(out, `"reason": "FailedCreate"`) {
				return fmt.Errorf("no ReplicaFailure condition:\n%s", out)
			}
			return nil
		})
		if n := len(c.pods("e2e")); n != 3 {
			t.Fatalf("%d pods in a namespace whose quota allows 3: %s", n, summary(c.pods("e2e")))
		}
		c.eventually(30*time.Second, "get quota shows the use", func() error {
			out, err := c.run("get", "quota", "-n", "e2e")
			if err != nil {
				return err
			}
			if !strings.Contains(out, "limits.memory: 1536Mi/2Gi") || !strings.Contains(out, "pods: 3/3, requests.memory: 768Mi/1Gi") {
				return fmt.Errorf("get quota:\n%s", out)
			}
			return nil
		})
		out, err := c.run("describe", "quota", "compute-resources", "-n", "e2e")
		if err != nil || !strings.Contains(strings.Join(strings.Fields(out), " "), "Resource Used Hard -------- ---- ---- limits.memory 1536Mi 2Gi pods 3 3 requests.memory 768Mi 1Gi") {
			t.Fatalf("describe quota: %v\n%s", err, out)
		}
		out, err = c.run("get", "limits", "-n", "e2e")
		if err != nil || !strings.Contains(out, "mem-limit-range") {
			t.Fatalf("get limits: %v\n%s", err, out)
		}
		// Later commits re-plan the defaulted pod as unchanged: the same
		// container still runs.
		for _, p := range c.pods("e2e") {
			if p.Name == "plain" && containerStatus(p).ContainerID != containerStatus(plain).ContainerID {
				t.Fatalf("plain's container changed: %s → %s", containerStatus(plain).ContainerID, containerStatus(p).ContainerID)
			}
		}
	})
}
