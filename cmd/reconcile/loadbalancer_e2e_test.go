package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
)

// lbFiles: the echo pod (netclient serve: answers with the caller's
// address) on node-b behind three LoadBalancer Services: lb (Cluster
// policy), lb-late (the same port, created in a later commit: refused),
// lb-local (externalTrafficPolicy Local).
var lbFiles = map[string]string{
	"namespace.yaml": e2eNamespace,
	"echo.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: echo
  namespace: e2e
  labels: {app: echo}
spec:
  nodeSelector: {kubernetes.io/hostname: node-b}
  containers:
    - name: echo
      image: ` + netclientImage + `
      imagePullPolicy: Never
      args: [serve]
`,
	"lb.yaml":       lbService("lb", 8081, ""),
	"lb-local.yaml": lbService("lb-local", 8082, "  externalTrafficPolicy: Local\n"),
}

func lbService(name string, port int, extra string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %s
  namespace: e2e
spec:
  type: LoadBalancer
%s  selector: {app: echo}
  ports:
    - port: %d
      targetPort: 8080
`, name, extra, port)
}

// TestE2ELoadBalancer: on two simulated hosts, LoadBalancer Services as
// k3s' ServiceLB: the service answers on every node's address (asked from
// the root namespace, another host on the same switch), its status lists
// those addresses, a later Service on the same port is refused with an
// event and a condition; with externalTrafficPolicy Local the pod sees the
// client's own address and the node without an endpoint does not answer.
func TestE2ELoadBalancer(t *testing.T) {
	needE2E(t)
	c, sim, run := newSimCluster(t, lbFiles, "node-a", "node-b")
	nodeA, nodeB := sim.nodes[0], sim.nodes[1]
	client := sim.prefix + ".1" // the root namespace: a host outside the cluster
	httpc := &http.Client{Timeout: 3 * time.Second}
	get := func(url string) (string, error) {
		resp, err := httpc.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b)), err
	}
	ingress := func(name string) (*corev1.Service, []string) {
		s := getService(t, run, name)
		if s == nil {
			return nil, nil
		}
		var ips []string
		for _, in := range s.Status.LoadBalancer.Ingress {
			ips = append(ips, in.IP)
		}
		slices.Sort(ips)
		return s, ips
	}
	nodeIPs := []string{nodeA.ip, nodeB.ip}
	slices.Sort(nodeIPs)
	needProxy(t, nodeA.nsenter())

	t.Run("answers on every node's address", func(t *testing.T) {
		c.eventually(120*time.Second, "status.loadBalancer.ingress lists both nodes", func() error {
			s, ips := ingress("lb")
			if s == nil || !slices.Equal(ips, nodeIPs) || s.Spec.Ports[0].NodePort == 0 {
				return fmt.Errorf("service lb: ingress %v, want %v, and a nodePort: %+v", ips, nodeIPs, s)
			}
			return nil
		})
		for _, n := range sim.nodes {
			c.eventually(120*time.Second, "lb answers on "+n.name, func() error {
				out, err := get("http://" + n.ip + ":8081/")
				if err != nil || out == "" {
					return fmt.Errorf("GET %s:8081 from %s: %q %v", n.ip, client, out, err)
				}
				return nil
			})
		}
		out, err := run("get", "svc", "lb", "-n", "e2e")
		if err != nil || !strings.Contains(out, "EXTERNAL-IP") || !strings.Contains(out, nodeIPs[0]+","+nodeIPs[1]) {
			t.Errorf("get svc lb: %v\n%s", err, out)
		}
	})

	t.Run("a second service on the same port is refused", func(t *testing.T) {
		c.commit("a second LoadBalancer on port 8081", map[string]string{"lb-late.yaml": lbService("lb-late", 8081, "")})
		want := "port 8081/TCP is already used by service e2e/lb"
		c.eventually(60*time.Second, "lb-late pending with a condition", func() error {
			s, ips := ingress("lb-late")
			if s == nil {
				return fmt.Errorf("no service lb-late yet")
			}
			cond := apimeta.FindStatusCondition(s.Status.Conditions, corev1.LoadBalancerPortsError)
			if len(ips) != 0 || cond == nil || cond.Message != want {
				return fmt.Errorf("lb-late: ingress %v condition %+v, want none and %q", ips, cond, want)
			}
			return nil
		})
		ev, err := run("events", "-n", "e2e", "--for", "service/lb-late")
		if err != nil || !strings.Contains(ev, "SyncLoadBalancerFailed") || !strings.Contains(ev, want) {
			t.Errorf("events for service/lb-late: %v\n%s", err, ev)
		}
		if _, ips := ingress("lb"); !slices.Equal(ips, nodeIPs) {
			t.Errorf("the first service lost its addresses: %v", ips)
		}
	})

	t.Run("externalTrafficPolicy Local keeps the client address", func(t *testing.T) {
		c.eventually(60*time.Second, "lb-local has both nodes' addresses", func() error {
			s, ips := ingress("lb-local")
			if s == nil || !slices.Equal(ips, nodeIPs) || s.Spec.HealthCheckNodePort == 0 {
				return fmt.Errorf("lb-local: ingress %v, want %v, and a healthCheckNodePort: %+v", ips, nodeIPs, s)
			}
			return nil
		})
		c.eventually(120*time.Second, "the pod on node-b sees the client's address", func() error {
			out, err := get("http://" + nodeB.ip + ":8082/")
			if err != nil || out != client {
				return fmt.Errorf("GET %s:8082 (node-b, has the endpoint): %q %v, want the client's address %s", nodeB.ip, out, err, client)
			}
			return nil
		})
		// The health check port answers as kube-proxy's: 200 with the
		// local endpoint count where the pod is, 503 elsewhere.
		hcPort := getService(t, run, "lb-local").Spec.HealthCheckNodePort
		for _, tc := range []struct {
			node *simNode
			code int
			body string
		}{{nodeB, 200, `"localEndpoints": 1`}, {nodeA, 503, `"localEndpoints": 0`}} {
			c.eventually(60*time.Second, "health check on "+tc.node.name, func() error {
				resp, err := httpc.Get(fmt.Sprintf("http://%s:%d/", tc.node.ip, hcPort))
				if err != nil {
					return err
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.body) || !strings.Contains(string(b), `"name": "lb-local"`) {
					return fmt.Errorf("%s health check: %d %s, want %d and %s", tc.node.name, resp.StatusCode, b, tc.code, tc.body)
				}
				return nil
			})
		}
		// node-a has no local endpoint: it drops (no answer at all, as
		// kube-proxy), while the Cluster-policy service still answers
		// there.
		for range 3 {
			if out, err := get("http://" + nodeA.ip + ":8082/"); err == nil {
				t.Fatalf("node-a (no local endpoint) answered for lb-local: %q", out)
			}
		}
		if out, err := get("http://" + nodeA.ip + ":8081/"); err != nil || out == "" || out == client {
			t.Errorf("lb (Cluster) through node-a: %q %v, want an answer from a masqueraded address", out, err)
		}
	})

	// The controller restarted with --lb-address-pool: every LoadBalancer
	// Service moves to an address of its own, so lb-late is served too;
	// the pool address, routed to node-b by the client (as a router
	// would), answers.
	t.Run("address pool", func(t *testing.T) {
		ctl := c.procs["controller"]
		ctl.Process.Signal(os.Interrupt)
		ctl.Wait()
		prefix := fmt.Sprintf("10.252.%d", os.Getpid()%250)
		c.startProc("controller", "controller", "--repo", c.repo, "--data", c.data, "--listen", c.server,
			"--lb-address-pool", prefix+".10-"+prefix+".12")
		c.waitServer()
		ips := map[string]string{}
		c.eventually(60*time.Second, "every service has a pool address", func() error {
			for _, name := range []string{"lb", "lb-local", "lb-late"} {
				_, got := ingress(name)
				if len(got) != 1 || !strings.HasPrefix(got[0], prefix+".") {
					return fmt.Errorf("%s: ingress %v, want one address of %s.10-12", name, got, prefix)
				}
				ips[name] = got[0]
			}
			return nil
		})
		if ips["lb"] == ips["lb-late"] || ips["lb"] == ips["lb-local"] || ips["lb-late"] == ips["lb-local"] {
			t.Fatalf("pool addresses shared: %v", ips)
		}
		sh(t, "ip", "route", "add", ips["lb-late"]+"/32", "via", nodeB.ip)
		t.Cleanup(func() { exec.Command("ip", "route", "del", ips["lb-late"]+"/32").Run() })
		c.eventually(60*time.Second, "lb-late answers on its pool address", func() error {
			out, err := get("http://" + ips["lb-late"] + ":8081/")
			if err != nil || out == "" {
				return fmt.Errorf("GET %s:8081 via node-b: %q %v", ips["lb-late"], out, err)
			}
			return nil
		})
	})
}
