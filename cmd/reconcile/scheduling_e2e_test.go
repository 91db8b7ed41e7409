package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// workload is a Deployment of the hello image in namespace e2e whose pod
// spec carries extra (indented YAML under spec:).
func workload(name string, replicas int, extra string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: e2e
spec:
  replicas: %[2]d
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
%[3]s
      containers:
        - name: hello
          image: localhost/reconcile-hello:v1
          imagePullPolicy: IfNotPresent
`, name, replicas, extra)
}

// TestE2EAffinityAndSpread runs two simulated hosts and shows the
// scheduler's affinity and spread on real agents: of three replicas with
// required pod anti-affinity per host, two run on the two nodes and the
// third stays Pending with Kubernetes' message; a pod with required node
// affinity to disktype=ssd runs on node-b, the node whose agent has
// --node-labels disktype=ssd; four replicas spread
// with maxSkew 1 over the two hosts run two per node.
func TestE2EAffinityAndSpread(t *testing.T) {
	needE2E(t)
	c, _, run := newSimClusterWith(t, map[string]string{"namespace.yaml": e2eNamespace},
		simOptions{nodeArgs: map[string][]string{"node-b": {"--node-labels", "disktype=ssd"}}}, "node-a", "node-b")
	// Spread counts the domains that exist: with one node registered, the
	// hostname spread has one domain and every replica fits there (as in
	// Kubernetes). So the workloads come once both nodes are Ready.
	c.eventually(120*time.Second, "both nodes Ready, reporting their images", func() error {
		out, err := run("get", "nodes", "-o", "json")
		if err != nil {
			return err
		}
		var l struct{ Items []corev1.Node }
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			return err
		}
		ready := 0
		for _, n := range l.Items {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		if ready != 2 {
			return fmt.Errorf("%d of 2 nodes Ready", ready)
		}
		// The agents report their Podman images (ImageLocality reads them).
		for _, n := range l.Items {
			if !hasImage(n, "localhost/reconcile-hello:v1") {
				return fmt.Errorf("node %s reports images %v, without localhost/reconcile-hello:v1", n.Name, n.Status.Images)
			}
		}
		return nil
	})
	c.commit("affinity and spread", map[string]string{
		"anti.yaml": workload("anti", 3, `      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - labelSelector: {matchLabels: {app: anti}}
              topologyKey: kubernetes.io/hostname`),
		"pinned.yaml": workload("pinned", 1, `      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: disktype, operator: In, values: [ssd]}`),
		"spread.yaml": workload("spread", 4, `      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          labelSelector: {matchLabels: {app: spread}}`),
	})
	const wantPending = "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules."
	var pods []corev1.Pod
	c.eventually(180*time.Second, "7 pods running where the constraints put them, one anti pod Pending", func() error {
		pods = c.pods("e2e")
		running := runningPods(pods)
		if len(running) != 7 {
			return fmt.Errorf("%d of 7 pods running: %s", len(running), summary(pods))
		}
		for _, p := range pods {
			if p.Spec.NodeName != "" {
				continue
			}
			if c := podCondition(p, corev1.PodScheduled); c == nil || c.Reason != corev1.PodReasonUnschedulable || c.Message != wantPending {
				return fmt.Errorf("pending pod %s: PodScheduled %+v, want Unschedulable %q", p.Name, c, wantPending)
			}
		}
		return nil
	})
	perNode := map[string]map[string]int{} // app -> node -> pods
	pending, pendingName := map[string]int{}, ""
	for _, p := range pods {
		app := p.Labels["app"]
		if p.Spec.NodeName == "" {
			pending[app]++
			pendingName = p.Name
			continue
		}
		if perNode[app] == nil {
			perNode[app] = map[string]int{}
		}
		perNode[app][p.Spec.NodeName]++
	}
	check := func(what string, got map[string]int, want map[string]int) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: pods per node %v, want %v", what, got, want)
		}
	}
	check("anti-affine replicas", perNode["anti"], map[string]int{"node-a": 1, "node-b": 1})
	if pending["anti"] != 1 || len(pending) != 1 {
		t.Errorf("pending pods per app %v, want only one anti pod", pending)
	}
	check("node affinity to disktype=ssd (node-b)", perNode["pinned"], map[string]int{"node-b": 1})
	check("spread maxSkew 1", perNode["spread"], map[string]int{"node-a": 2, "node-b": 2})
	if !hasEvent(c.events(pendingName), "FailedScheduling", wantPending) {
		t.Errorf("no FailedScheduling event for %s saying %q", pendingName, wantPending)
	}
}

func podCondition(p corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func hasImage(n corev1.Node, name string) bool {
	for _, im := range n.Status.Images {
		for _, x := range im.Names {
			if x == name {
				return im.SizeBytes > 0
			}
		}
	}
	return false
}
