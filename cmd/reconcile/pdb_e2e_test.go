package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// spreadWeb is the web Deployment with its pods spread over the nodes
// (scored only, so a cordoned node never keeps a pod from starting).
func spreadWeb(replicas int) string {
	return strings.Replace(deployment(replicas, "localhost/reconcile-hello:v1"), "    spec:\n      containers:", `    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {app: web}
      containers:`, 1)
}

const webBudget = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: e2e
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: web}
`

// getPDB is the budget as `reconcile get pdb -o json` shows it.
func getPDB(run func(...string) (string, error)) (policyv1.PodDisruptionBudget, error) {
	out, err := run("get", "pdb", "-n", "e2e", "-o", "json")
	if err != nil {
		return policyv1.PodDisruptionBudget{}, err
	}
	var l struct {
		Items []policyv1.PodDisruptionBudget
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Items) != 1 {
		return policyv1.PodDisruptionBudget{}, fmt.Errorf("get pdb -o json: %v\n%s", err, out)
	}
	return l.Items[0], nil
}

// pdbCounts is "current/desired/expected/allowed" of the budget's status.
func pdbCounts(b policyv1.PodDisruptionBudget) string {
	s := b.Status
	return fmt.Sprintf("%d/%d/%d/%d", s.CurrentHealthy, s.DesiredHealthy, s.ExpectedPods, s.DisruptionsAllowed)
}

// TestE2EPodDisruptionBudget runs two simulated hosts with a Deployment
// of 2 replicas, one on each, and a budget minAvailable 2:
//
//  1. the budget's status counts them: 2 healthy, 2 desired, none allowed;
//  2. `reconcile drain node-b` cordons the node, and the eviction API
//     refuses node-b's web pod (429, Kubernetes' words), which drain says
//     and retries: the pod keeps running, the drain goes on waiting;
//  3. a commit raises replicas to 3: the new pod starts on node-a, the
//     budget allows one disruption, drain's next retry evicts node-b's
//     pod and the drain ends; its replacement runs on node-a.
func TestE2EPodDisruptionBudget(t *testing.T) {
	files := map[string]string{"namespace.yaml": e2eNamespace, "config.yaml": webConfig}
	c, _, run := newSimCluster(t, files, "node-a", "node-b")
	waitNodes(c, run, 90*time.Second, "two Ready nodes", func(n corev1.Node) error {
		if readyOf(n) != corev1.ConditionTrue {
			return fmt.Errorf("Ready=%s", readyOf(n))
		}
		return nil
	})
	c.eventually(60*time.Second, "both nodes registered", func() error {
		nodes, err := getNodes(run)
		if err == nil && len(nodes) != 2 {
			err = fmt.Errorf("%d nodes", len(nodes))
		}
		return err
	})
	c.commit("web and its budget", map[string]string{"web.yaml": spreadWeb(2), "pdb.yaml": webBudget})

	t.Log("1. the budget's status")
	var onB corev1.Pod
	c.eventually(180*time.Second, "2 web pods running, one on each node", func() error {
		all := c.pods("e2e")
		web := runningPods(podsByApp(all, "web"))
		on := map[string]corev1.Pod{}
		for _, p := range web {
			on[p.Spec.NodeName] = p
		}
		if len(web) != 2 || len(on) != 2 {
			return fmt.Errorf("%s", summary(all))
		}
		onB = on["node-b"]
		return nil
	})
	c.eventually(60*time.Second, "budget status 2 healthy / 2 desired / 2 expected / 0 allowed", func() error {
		b, err := getPDB(run)
		if err != nil {
			return err
		}
		if got := pdbCounts(b); got != "2/2/2/0" || b.Status.ObservedGeneration != b.Generation {
			return fmt.Errorf("status %s (observedGeneration %d of %d)", got, b.Status.ObservedGeneration, b.Generation)
		}
		return nil
	})
	if out, err := run("get", "pdb", "-n", "e2e"); err != nil || !regexpLine(out, `NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE`) || !regexpLine(out, `web\s+2\s+N/A\s+0\s`) {
		t.Errorf("get pdb: %v\n%s", err, out)
	}

	t.Log("2. drain node-b is held back by the budget")
	type result struct {
		out string
		err error
	}
	drained := make(chan result, 1)
	go func() {
		out, err := run("drain", "node-b", "--timeout", "600s")
		drained <- result{out, err}
	}()
	waitNodes(c, run, 30*time.Second, "node-b cordoned", func(n corev1.Node) error {
		if !n.Spec.Unschedulable {
			return fmt.Errorf("schedulable")
		}
		return nil
	}, "node-b")
	// Several of drain's 5 s retries: the pod stays, the drain waits.
	if err := consistently(15*time.Second, func() error {
		for _, p := range c.pods("e2e") {
			if p.UID == onB.UID && p.DeletionTimestamp != nil {
				return fmt.Errorf("node-b's pod %s was evicted against its budget", p.Name)
			}
		}
		select {
		case r := <-drained:
			return fmt.Errorf("drain ended while the budget forbids it: %v\n%s", r.err, r.out)
		default:
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	t.Log("3. a third replica elsewhere lets the drain go on")
	c.commit("web: 3 replicas", map[string]string{"web.yaml": spreadWeb(3)})
	var r result
	select {
	case r = <-drained:
	case <-time.After(300 * time.Second):
		t.Fatalf("drain still waits after a third replica started\n%s", tail(c.logs(), 40))
	}
	if r.err != nil {
		t.Fatalf("drain node-b: %v\n%s\n%s", r.err, r.out, tail(c.logs(), 40))
	}
	refused := fmt.Sprintf("error when evicting pods/%q -n \"e2e\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n", onB.Name)
	for _, want := range []string{"node/node-b cordoned\n", "evicting pod e2e/" + onB.Name + "\n", refused, "pod/" + onB.Name + " evicted\n", "node/node-b drained\n"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("drain output lacks %q:\n%s", want, r.out)
		}
	}
	t.Logf("drain output:\n%s", r.out)
	c.eventually(180*time.Second, "3 web pods running on node-a, the budget 3/2/3/1", func() error {
		all := c.pods("e2e")
		web := runningPods(podsByApp(all, "web"))
		for _, p := range web {
			if p.Spec.NodeName != "node-a" {
				return fmt.Errorf("a web pod on %s: %s", p.Spec.NodeName, summary(all))
			}
		}
		if len(web) != 3 {
			return fmt.Errorf("%s", summary(all))
		}
		b, err := getPDB(run)
		if err != nil {
			return err
		}
		if got := pdbCounts(b); got != "3/2/3/1" {
			return fmt.Errorf("budget status %s", got)
		}
		if len(b.Status.Conditions) != 1 || b.Status.Conditions[0].Reason != policyv1.SufficientPodsReason {
			return fmt.Errorf("conditions %+v", b.Status.Conditions)
		}
		return nil
	})
	if out, err := run("describe", "pdb", "web", "-n", "e2e"); err != nil || !strings.Contains(out, "Allowed disruptions:") {
		t.Errorf("describe pdb: %v\n%s", err, out)
	}
}
