package main

// End-to-end tests of the workload controllers with real Podman: a rolling
// update that keeps enough ready pods serving, a rollout stalled by a
// failing readiness probe, and a StatefulSet replica that keeps its data.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// rollingDeployment is the web Deployment with a readiness probe on
// readyPort (8080 answers; nothing listens on any other port), maxSurge 1 / maxUnavailable 1 and a short progress deadline.
func rollingDeployment(replicas int, image string, readyPort, deadline int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
spec:
  replicas: %d
  progressDeadlineSeconds: %d
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: hello
          image: %s
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet: {path: /healthz, port: %d}
            periodSeconds: 1
            failureThreshold: 1
`, replicas, deadline, image, readyPort)
}

// servingPods is one observation of the Deployment's pods: which are
// Ready (and not terminating) in `reconcile get pods`, and which of those
// answered HTTP on their pod IP.
type servingPods struct {
	ready    []corev1.Pod
	answered map[string]string // pod name → response body
}

func (c *cluster) observeServing(ns string) (servingPods, bool) {
	s := servingPods{answered: map[string]string{}}
	pods, ok := c.listPods(ns)
	if !ok {
		return s, false
	}
	for _, p := range pods {
		if p.DeletionTimestamp == nil && podIsReady(&p) {
			s.ready = append(s.ready, p)
		}
	}
	client := http.Client{Timeout: time.Second}
	for _, p := range s.ready {
		if p.Status.PodIP == "" {
			continue
		}
		resp, err := client.Get("http://" + p.Status.PodIP + ":8080/")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			s.answered[p.Name] = string(b)
		}
	}
	return s, true
}

// listPods is c.pods without failing the test, for the probe goroutine
// (a test may only fail from its own goroutine); false if it failed.
func (c *cluster) listPods(ns string) ([]corev1.Pod, bool) {
	out, err := c.run("get", "pods", "-n", ns, "-o", "json")
	if err != nil {
		return nil, false
	}
	var l struct{ Items []corev1.Pod }
	if json.Unmarshal([]byte(out), &l) != nil {
		return nil, false
	}
	return l.Items, true
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// availabilityProbe samples the pods of ns until stopped and records the
// fewest ready pods and the fewest answering pods it saw. A ready pod that
// did not answer is excused only if the next listing shows it terminating
// or gone (it was deleted between the listing and the request).
type availabilityProbe struct {
	mu                     sync.Mutex
	samples                int
	minReady, minAnswering int
	worst                  string
	stop                   chan struct{}
	once                   sync.Once
	done                   chan struct{}
}

func (c *cluster) startAvailabilityProbe(ns string) *availabilityProbe {
	a := &availabilityProbe{minReady: 1 << 30, minAnswering: 1 << 30, stop: make(chan struct{}), done: make(chan struct{})}
	c.t.Cleanup(func() { a.finish() })
	go func() {
		defer close(a.done)
		for {
			select {
			case <-a.stop:
				return
			default:
			}
			s, ok := c.observeServing(ns)
			if !ok {
				continue // the controller is not reachable (e.g. the test is ending)
			}
			answering := len(s.answered)
			if answering < len(s.ready) {
				gone := map[string]bool{}
				for _, p := range s.ready {
					gone[p.Name] = true
				}
				now, _ := c.listPods(ns)
				for _, p := range now {
					if p.DeletionTimestamp == nil {
						delete(gone, p.Name)
					}
				}
				for _, p := range s.ready {
					if _, ok := s.answered[p.Name]; !ok && gone[p.Name] {
						answering++
					}
				}
			}
			a.mu.Lock()
			a.samples++
			if len(s.ready) < a.minReady || answering < a.minAnswering {
				a.worst = fmt.Sprintf("sample %d: %d ready, %d answering: %v", a.samples, len(s.ready), answering, s.answered)
			}
			a.minReady = min(a.minReady, len(s.ready))
			a.minAnswering = min(a.minAnswering, answering)
			a.mu.Unlock()
		}
	}()
	return a
}

func (a *availabilityProbe) finish() (samples, minReady, minAnswering int, worst string) {
	a.once.Do(func() { close(a.stop) })
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.samples, a.minReady, a.minAnswering, a.worst
}

func (c *cluster) deployment(ns, name string) *appsv1.Deployment {
	c.t.Helper()
	out, err := c.run("get", "deployment", name, "-n", ns, "-o", "json")
	if err != nil {
		c.t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		c.t.Fatalf("decode deployment: %v\n%s", err, out)
	}
	return &d
}

// waitServing waits until exactly n pods exist, all ready and all serving
// version.
func (c *cluster) waitServing(n int, version string) {
	c.t.Helper()
	c.eventually(90*time.Second, fmt.Sprintf("%d ready pods serving %s", n, version), func() error {
		all := c.pods("e2e")
		s, _ := c.observeServing("e2e")
		if len(all) != n || len(s.ready) != n || len(s.answered) != n {
			return fmt.Errorf("%d pods, %d ready, %d answering: %s", len(all), len(s.ready), len(s.answered), summary(all))
		}
		for name, body := range s.answered {
			if !strings.Contains(body, "version="+version) {
				return fmt.Errorf("pod %s answers %q", name, body)
			}
		}
		return nil
	})
}

// TestE2ERollingUpdateAndStalledRollout rolls web from v1 to v2 while a
// probe checks that at least replicas-maxUnavailable pods are ready and
// answering at every moment; then a v3 whose readiness probe fails stalls:
// v2 keeps serving and the Deployment reports ProgressDeadlineExceeded,
// which `reconcile rollout status` turns into a failure.
func TestE2ERollingUpdateAndStalledRollout(t *testing.T) {
	const replicas, maxUnavailable = 3, 1
	files := map[string]string{"namespace.yaml": e2eNamespace, "web.yaml": rollingDeployment(replicas, "localhost/reconcile-hello:v1", 8080, 600)}
	c := newCluster(t, files)
	c.waitServing(replicas, "v1")

	probe := c.startAvailabilityProbe("e2e")
	c.commit("web v2", map[string]string{"web.yaml": rollingDeployment(replicas, "localhost/reconcile-hello:v2", 8080, 600)})
	out, err := c.run("rollout", "status", "deployment", "web", "-n", "e2e", "--timeout", "50s")
	if err != nil {
		t.Fatalf("rollout status v2: %v\n%s", err, out)
	}
	if !strings.Contains(out, `deployment "web" successfully rolled out`) {
		t.Errorf("rollout status output:\n%s", out)
	}
	c.waitServing(replicas, "v2")
	samples, minReady, minAnswering, worst := probe.finish()
	t.Logf("availability probe: %d samples, at least %d ready and %d answering pods", samples, minReady, minAnswering)
	if samples < 3 {
		t.Fatalf("the probe took only %d samples", samples)
	}
	if minReady < replicas-maxUnavailable || minAnswering < replicas-maxUnavailable {
		t.Fatalf("during the rollout only %d ready / %d answering pods, want at least %d (%s)", minReady, minAnswering, replicas-maxUnavailable, worst)
	}

	// v3: same image, a readiness probe on a port nobody listens on, deadline 8 s.
	probe = c.startAvailabilityProbe("e2e")
	c.commit("web v3 never ready", map[string]string{"web.yaml": rollingDeployment(replicas, "localhost/reconcile-hello:v2", 8081, 8)})
	out, err = c.run("rollout", "status", "deploy/web", "-n", "e2e", "--timeout", "50s")
	if err == nil || !strings.Contains(err.Error(), "exceeded its progress deadline") {
		t.Fatalf("rollout status v3: want a failure for the progress deadline, got %v\n%s", err, out)
	}
	d := c.deployment("e2e", "web")
	var progressing *appsv1.DeploymentCondition
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == appsv1.DeploymentProgressing {
			progressing = &d.Status.Conditions[i]
		}
	}
	if progressing == nil || progressing.Status != corev1.ConditionFalse || progressing.Reason != "ProgressDeadlineExceeded" {
		t.Fatalf("Progressing condition %+v, want False/ProgressDeadlineExceeded", progressing)
	}
	samples, minReady, minAnswering, worst = probe.finish()
	t.Logf("stalled rollout: %d samples, at least %d ready and %d answering pods", samples, minReady, minAnswering)
	if minReady < replicas-maxUnavailable || minAnswering < replicas-maxUnavailable {
		t.Fatalf("during the stalled rollout only %d ready / %d answering pods (%s)", minReady, minAnswering, worst)
	}
	// v2 still serves: every ready pod is a v2 pod of the old template.
	s, _ := c.observeServing("e2e")
	if len(s.ready) < replicas-maxUnavailable {
		t.Fatalf("%d ready pods after the deadline", len(s.ready))
	}
	for _, p := range s.ready {
		if p.Labels["pod-template-hash"] == "" || !strings.Contains(s.answered[p.Name], "version=v2") {
			t.Errorf("ready pod %s answers %q", p.Name, s.answered[p.Name])
		}
	}
	if d.Status.UpdatedReplicas == 0 || d.Status.AvailableReplicas < replicas-maxUnavailable {
		t.Errorf("status %+v: want some updated (unready) v3 pods and the v2 pods available", d.Status)
	}
}

const dbStatefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: e2e
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: hello
          image: localhost/reconcile-hello:v1
          imagePullPolicy: IfNotPresent
          env:
            - {name: GREETING_FILE, value: /data/greeting}
            - {name: REVISION, value: "%s"}
          volumeMounts:
            - {name: data, mountPath: /data}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
`

// TestE2EStatefulSetKeepsVolumeData writes data into db-1's volume, then
// deletes the pod (a force delete through the API) and later rolls the
// StatefulSet to a new template: each time the new db-1 mounts the same
// named volume and serves the same data, while db-0 keeps its own.
func TestE2EStatefulSetKeepsVolumeData(t *testing.T) {
	c := newCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "db.yaml": fmt.Sprintf(dbStatefulSet, "1")})
	pods := c.waitRunning(2, "localhost/reconcile-hello:v1")
	for _, p := range pods {
		if p.Spec.Hostname != p.Name || p.Spec.Subdomain != "db" {
			t.Errorf("pod %s: hostname %q subdomain %q", p.Name, p.Spec.Hostname, p.Spec.Subdomain)
		}
	}
	for i, greeting := range []string{"zero", "one"} {
		vol := fmt.Sprintf("data-db-%d", i)
		mp, err := podmanCmd("volume", "inspect", vol, "--format", "{{.Mountpoint}}")
		if err != nil {
			t.Fatalf("volume %s: %v", vol, err)
		}
		if err := os.WriteFile(filepath.Join(strings.TrimSpace(mp), "greeting"), []byte(greeting), 0o644); err != nil {
			t.Fatal(err)
		}
		// Like every Podman object the agent makes, the volume carries
		// its cluster's label.
		if l, err := podmanCmd("volume", "inspect", vol, "--format", `{{index .Labels "reconcile.cluster"}}`); err != nil || strings.TrimSpace(l) == "" {
			t.Errorf("volume %s has no reconcile.cluster label (%q, %v)", vol, l, err)
		}
	}
	c.waitGreeting("db-1", "one")

	// 1. Delete db-1 for good (force): the StatefulSet makes a new db-1.
	old := podNamed(c.pods("e2e"), "db-1")
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, c.url("/api/v1/pods/db-1?namespace=e2e"), nil)
	resp, err := c.httpClient().Do(c.authorize(req))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("delete pod db-1: %v %v", err, resp)
	}
	resp.Body.Close()
	c.eventually(60*time.Second, "a new db-1", func() error {
		p := podNamed(runningPods(c.pods("e2e")), "db-1")
		if p == nil || p.UID == old.UID {
			return fmt.Errorf("db-1 not replaced yet: %s", summary(c.pods("e2e")))
		}
		return nil
	})
	c.waitGreeting("db-1", "one")

	// 2. A template change replaces db-1 then db-0 (graceful deletion).
	c.commit("db revision 2", map[string]string{"db.yaml": fmt.Sprintf(dbStatefulSet, "2")})
	out, err := c.run("rollout", "status", "sts", "db", "-n", "e2e", "--timeout", "50s")
	if err != nil {
		t.Fatalf("rollout status: %v\n%s", err, out)
	}
	for _, name := range []string{"db-0", "db-1"} {
		p := podNamed(c.pods("e2e"), name)
		if p == nil || !hasEnv(p, "REVISION", "2") {
			t.Fatalf("%s not at the new revision: %s", name, summary(c.pods("e2e")))
		}
	}
	c.waitGreeting("db-0", "zero")
	c.waitGreeting("db-1", "one")
}

func podNamed(pods []corev1.Pod, name string) *corev1.Pod {
	for i := range pods {
		if pods[i].Name == name {
			return &pods[i]
		}
	}
	return nil
}

func hasEnv(p *corev1.Pod, name, value string) bool {
	for _, e := range p.Spec.Containers[0].Env {
		if e.Name == name && e.Value == value {
			return true
		}
	}
	return false
}

// waitGreeting waits until pod answers HTTP with greeting (read from its
// volume on every request).
func (c *cluster) waitGreeting(pod, greeting string) {
	c.t.Helper()
	client := http.Client{Timeout: time.Second}
	c.eventually(60*time.Second, pod+" serving "+greeting, func() error {
		p := podNamed(runningPods(c.pods("e2e")), pod)
		if p == nil || p.Status.PodIP == "" {
			return fmt.Errorf("%s not running with an IP", pod)
		}
		resp, err := client.Get("http://" + p.Status.PodIP + ":8080/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), fmt.Sprintf("greeting=%q", greeting)) {
			return fmt.Errorf("%s answers %q", pod, b)
		}
		return nil
	})
}

const logsDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: logs
  namespace: e2e
spec:
  selector:
    matchLabels: {app: logs}
  template:
    metadata:
      labels: {app: logs}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: hello
          image: localhost/reconcile-hello:%s
          imagePullPolicy: IfNotPresent
`

// TestE2EDaemonSetRunsOnTheNode: the DaemonSet's pod is bound to the one
// node by the controller (not the scheduler) and runs; a new image rolls
// out and `reconcile rollout status ds` follows it to the end.
func TestE2EDaemonSetRunsOnTheNode(t *testing.T) {
	c := newCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "logs.yaml": fmt.Sprintf(logsDaemonSet, "v1")})
	pods := c.waitRunning(1, "localhost/reconcile-hello:v1")
	if pods[0].Spec.NodeName != "e2e-node" || !strings.HasPrefix(pods[0].Name, "logs-") {
		t.Fatalf("daemon pod %s on %q", pods[0].Name, pods[0].Spec.NodeName)
	}
	c.commit("logs v2", map[string]string{"logs.yaml": fmt.Sprintf(logsDaemonSet, "v2")})
	out, err := c.run("rollout", "status", "ds", "logs", "-n", "e2e", "--timeout", "50s")
	if err != nil || !strings.Contains(out, `daemon set "logs" successfully rolled out`) {
		t.Fatalf("rollout status: %v\n%s", err, out)
	}
	c.waitRunning(1, "localhost/reconcile-hello:v2")
}
