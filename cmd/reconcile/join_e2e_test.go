package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/join"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// readyNodes returns the nodes `reconcile get nodes` shows Ready.
func readyNodes(run func(...string) (string, error)) (map[string]corev1.Node, error) {
	out, err := run("get", "nodes", "-o", "json")
	if err != nil {
		return nil, err
	}
	var l struct{ Items []corev1.Node }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		return nil, err
	}
	ready := map[string]corev1.Node{}
	for _, n := range l.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready[n.Name] = n
			}
		}
	}
	return ready, nil
}

// notReferencedSecret is a Secret no pod uses: no node may read it.
const notReferencedSecret = `apiVersion: v1
kind: Secret
metadata:
  name: not-referenced
  namespace: e2e
stringData:
  password: hunter2
`

// TestE2EJoinThreeHosts: three hosts (network namespaces, each with its
// own Podman) join a controller with `reconcile join` and a token; they
// appear Ready with their certificate's end annotated, and a Deployment's
// pods spread over the three. An expired token, a deleted token, a wrong
// CA hash and plain HTTP are refused by `reconcile join` with clear
// messages. A node's credentials read neither another node's pod nor a
// Secret its pods do not reference, nor write another Node (403). After `reconcile node delete`, the deleted node's certificate
// is refused at once and its pods run on the other two.
func TestE2EJoinThreeHosts(t *testing.T) {
	files := map[string]string{"namespace.yaml": e2eNamespace, "config.yaml": webConfig, "secret.yaml": notReferencedSecret}
	names := []string{"node-a", "node-b", "node-c"}
	c, sim, run := newSimCluster(t, files, names...)
	var nodes map[string]corev1.Node
	c.eventually(60*time.Second, "three joined nodes Ready", func() error {
		var err error
		if nodes, err = readyNodes(run); err != nil || len(nodes) != 3 {
			return fmt.Errorf("ready: %v %v", nodes, err)
		}
		return nil
	})
	// The agent annotates its Node when it registers (the pod network's
	// first registration, a moment before, carries no annotations).
	c.eventually(30*time.Second, "every node annotated with its certificate's end", func() error {
		nodes, err := readyNodes(run)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if _, err := time.Parse(time.RFC3339, n.Annotations[objects.AnnotationCertificateNotAfter]); err != nil {
				return fmt.Errorf("node %s: annotation %s: %v (annotations %v)", n.Name, objects.AnnotationCertificateNotAfter, err, n.Annotations)
			}
		}
		return nil
	})
	for _, n := range sim.nodes {
		fi, err := os.Stat(join.ConfigPath(filepath.Join(n.dir, "agent")))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: agent.conf %v %v, want mode 0600", n.name, fi, err)
		}
	}

	// Spread: three replicas, one per node (the scheduler's least-allocated
	// score with Kubernetes' default requests for pods without any).
	c.commit("web", map[string]string{"web.yaml": deployment(3, "localhost/reconcile-hello:v1")})
	onNodes := func(want int, not string) {
		t.Helper()
		c.eventually(90*time.Second, fmt.Sprintf("3 web pods running on %d nodes without %q", want, not), func() error {
			pods := runningPods(c.pods("e2e"))
			on := map[string]bool{}
			for _, p := range pods {
				on[p.Spec.NodeName] = true
			}
			if len(pods) != 3 || len(on) != want || on[not] {
				return fmt.Errorf("%d running on %v", len(pods), on)
			}
			return nil
		})
	}
	onNodes(3, "")

	// Refusals, from a host that has not joined (the root namespace). A
	// join that is wrongly accepted would start an agent: its Podman
	// socket does not exist, so it would stop at once, not run here.
	url := "https://" + c.server
	tryJoin := func(what string, args []string, want ...string) {
		t.Helper()
		data := t.TempDir()
		_, err := runBin(append([]string{"join", "--node", "node-x", "--data", data, "--pod-network", "", "--podman", "unix:///nonexistent/podman.sock"}, args...)...)
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", what, err, w)
			}
		}
		if _, err := os.Stat(join.ConfigPath(data)); err == nil {
			t.Errorf("%s: agent.conf written", what)
		}
	}
	good := c.joinToken()
	tryJoin("plain HTTP", []string{"http://" + c.server, "--token", good}, "refusing plain HTTP", "https://"+c.server)

	tok, err := jointoken.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	caHash := tok.CAHash
	tok.CAHash = "sha256:" + strings.Repeat("ab", 32)
	tryJoin("wrong CA hash", []string{url, "--token", tok.String()}, "presents a cluster CA with hash "+caHash, "the token pins "+tok.CAHash)

	deleted := c.joinToken()
	id := strings.SplitN(strings.SplitN(deleted, "::", 2)[1], ".", 2)[0]
	if _, err := c.run("token", "delete", id); err != nil {
		t.Fatal(err)
	}
	tryJoin("deleted token", []string{url, "--token", deleted}, "401", "was deleted")

	expired := c.joinToken("--ttl", "1s")
	expiredID := strings.SplitN(strings.SplitN(expired, "::", 2)[1], ".", 2)[0]
	c.eventually(10*time.Second, "token list to show the 1 s token expired", func() error {
		out, err := c.run("token", "list")
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, expiredID+" ") && strings.Contains(line, "expired") {
				if strings.Contains(out, tok.Secret) {
					t.Fatalf("token list shows a secret:\n%s", out)
				}
				return nil
			}
		}
		return fmt.Errorf("%v\n%s", err, out)
	})
	tryJoin("expired token", []string{url, "--token", expired}, "401", "expired at")

	// node delete: node-c's certificate is refused at once; its pods move.
	nodeC := sim.nodes[2]
	creds, err := join.LoadCredentials(join.ConfigPath(filepath.Join(nodeC.dir, "agent")), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	asNodeC := apiclient.NewTLS(url, "", creds.TLSConfig())
	if _, err := asNodeC.ClusterID(context.Background()); err != nil {
		t.Fatalf("node-c's certificate before node delete: %v", err)
	}
	// Least privilege over the wire, with node-c's own joined credentials:
	// another node's pod, a Secret none of its pods references, and a
	// write to another Node are 403; its own pod is readable.
	var onA, onC string
	for _, p := range runningPods(c.pods("e2e")) {
		switch p.Spec.NodeName {
		case "node-a":
			onA = p.Name
		case "node-c":
			onC = p.Name
		}
	}
	ctx := context.Background()
	forbidden := func(what string, err error) {
		t.Helper()
		if !apierrors.Is(err, apierrors.ReasonForbidden) {
			t.Errorf("node-c %s: %v, want 403 Forbidden", what, err)
		}
	}
	_, err = asNodeC.Get(ctx, objects.Key{Kind: "Pod", Namespace: "e2e", Name: onA})
	forbidden("reading node-a's pod "+onA, err)
	_, err = asNodeC.Get(ctx, objects.Key{Kind: "Secret", Namespace: "e2e", Name: "not-referenced"})
	forbidden("reading a Secret no pod of it references", err)
	forbidden("posting node-a's heartbeat", apiclient.ControlPlane{Client: asNodeC}.Heartbeat(ctx, "node-a"))
	if _, err := asNodeC.Get(ctx, objects.Key{Kind: "Pod", Namespace: "e2e", Name: onC}); err != nil {
		t.Errorf("node-c reading its own pod %s: %v", onC, err)
	}
	if _, err := asNodeC.Get(ctx, objects.Key{Kind: "Node", Name: "node-c"}); err != nil {
		t.Errorf("node-c reading its own Node: %v", err)
	}

	if out, err := c.run("node", "delete", "node-c"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("node delete: %v %s", err, out)
	}
	if _, err := asNodeC.ClusterID(context.Background()); !apierrors.Is(err, apierrors.ReasonUnauthorized) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("node-c's certificate after node delete: %v, want 401 revoked", err)
	}
	onNodes(2, "node-c")
	c.eventually(30*time.Second, "node-c stays deleted (its agent is refused)", func() error {
		ready, err := readyNodes(run)
		if _, back := ready["node-c"]; err != nil || back || len(ready) != 2 {
			return fmt.Errorf("ready nodes %v %v", ready, err)
		}
		return nil
	})
}
