package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/podnet"
)

// TestE2EPodNetworkAcrossSubnets runs three simulated hosts on two
// subnets joined by a router namespace: node-a and node-b on subnet 1,
// node-c on subnet 2. The only web pod runs on node-c, a client pod on
// node-a. With the vxlan backend (and auto, which uses it for node-c only)
// the client reaches the web pod by pod IP and through a ClusterIP whose
// only endpoint is on node-c; with host-gw the same connection fails:
// there is no on-link route to node-c, so only the overlay carries it.
func TestE2EPodNetworkAcrossSubnets(t *testing.T) {
	needE2E(t)
	for _, backend := range []podnet.Backend{podnet.VXLAN, podnet.Auto, podnet.HostGW} {
		t.Run(string(backend), func(t *testing.T) { podNetworkAcrossSubnets(t, backend) })
	}
}

func podNetworkAcrossSubnets(t *testing.T, backend podnet.Backend) {
	files := map[string]string{
		"namespace.yaml": e2eNamespace,
		"config.yaml":    webConfig,
		"web.yaml": strings.Replace(deployment(1, "localhost/reconcile-hello:v1"), "    spec:\n      containers:",
			"    spec:\n      nodeSelector: {kubernetes.io/hostname: node-c}\n      containers:", 1),
		"services.yaml": webServices,
		"client.yaml":   clientPod("node-a"),
	}
	sim := newRoutedSimNet(t, []string{"node-a", "node-b"}, []string{"node-c"})
	c, run := startSimCluster(t, files, sim, simOptions{controllerArgs: []string{"--pod-network-backend", string(backend)}})
	nodeA := sim.nodes[0]
	var server, client corev1.Pod
	c.eventually(90*time.Second, "web on node-c and client on node-a running", func() error {
		out, err := run("get", "pods", "-n", "e2e", "-o", "json")
		if err != nil {
			return err
		}
		var l struct{ Items []corev1.Pod }
		json.Unmarshal([]byte(out), &l)
		server, client = corev1.Pod{}, corev1.Pod{}
		for _, p := range runningPods(l.Items) {
			if p.Name == "client" {
				client = p
			} else {
				server = p
			}
		}
		if server.Status.PodIP == "" || client.Status.PodIP == "" {
			return fmt.Errorf("not yet: %s", summary(l.Items))
		}
		return nil
	})
	if server.Spec.NodeName != "node-c" || client.Spec.NodeName != "node-a" {
		t.Fatalf("placement: web on %s, client on %s", server.Spec.NodeName, client.Spec.NodeName)
	}
	nodes := map[string]corev1.Node{}
	c.eventually(30*time.Second, "every node published its pod network backend", func() error {
		for _, name := range []string{"node-a", "node-b", "node-c"} {
			out, err := run("get", "node", name, "-o", "json")
			var n corev1.Node
			if err == nil {
				err = json.Unmarshal([]byte(out), &n)
			}
			if err != nil {
				return err
			}
			if got := n.Annotations[podnet.AnnotationBackend]; got != string(backend) {
				return fmt.Errorf("node %s: %s = %q, want %q", name, podnet.AnnotationBackend, got, backend)
			}
			if mac := n.Annotations[podnet.AnnotationVXLANMAC]; (mac != "") != backend.UsesOverlay() {
				return fmt.Errorf("node %s under %s: %s = %q", name, backend, podnet.AnnotationVXLANMAC, mac)
			}
			nodes[name] = n
		}
		return nil
	})
	// node-a's routes: under auto host-gw to node-b (on-link), the overlay
	// to node-c; under vxlan the overlay to both; under host-gw node-b only.
	b, cc := nodes["node-b"], nodes["node-c"]
	vtep := func(n corev1.Node) string { a, _ := podnet.VTEPAddr(n.Spec.PodCIDR); return a.String() }
	want := map[podnet.Backend][]string{
		podnet.VXLAN:  {b.Spec.PodCIDR + " via " + vtep(b) + " dev reconcile.1 onlink", cc.Spec.PodCIDR + " via " + vtep(cc) + " dev reconcile.1 onlink"},
		podnet.Auto:   {b.Spec.PodCIDR + " via " + podnet.InternalIP(&b) + " dev eth0", cc.Spec.PodCIDR + " via " + vtep(cc) + " dev reconcile.1 onlink"},
		podnet.HostGW: {b.Spec.PodCIDR + " via " + podnet.InternalIP(&b) + " dev eth0"},
	}[backend]
	inA := func(args ...string) string {
		out, _ := exec.Command("nsenter", append(nodeA.nsenter()[1:], args...)...).CombinedOutput()
		return string(out)
	}
	c.eventually(60*time.Second, "node-a's routes to the other nodes' pods", func() error {
		routes := inA("ip", "-4", "route", "show", "proto", "147")
		for _, w := range want {
			if !strings.Contains(routes, w) {
				return fmt.Errorf("node-a's routes lack %q:\n%s", w, routes)
			}
		}
		if backend == podnet.HostGW && strings.Contains(routes, cc.Spec.PodCIDR) {
			return fmt.Errorf("host-gw made a route to node-c, which is not on-link:\n%s", routes)
		}
		return nil
	})
	mtu, err := nodeA.podmanCmd("network", "inspect", "reconcile", "--format", `{{index .Options "mtu"}}`)
	if wantMTU := map[bool]string{true: "1450", false: ""}[backend.UsesOverlay()]; err != nil || strings.TrimSpace(mtu) != wantMTU {
		t.Fatalf("the pod network's MTU on node-a: %q %v, want %q (the overlay carries 50 bytes less)", mtu, err, wantMTU)
	}

	get := func(url string) (string, error) { return nodeA.exec("e2e/client", "client", "/netclient", "get", url) }
	podURL := "http://" + server.Status.PodIP + ":8080/"
	if backend == podnet.HostGW {
		// The routes are in place (above): a connection that fails now
		// fails for want of a path, not of time.
		for range 3 {
			if out, err := get(podURL); err == nil || strings.Contains(out, "hello from") {
				t.Fatalf("host-gw across subnets: GET %s from node-a answered (%v): %s; want a failure, only the overlay can carry it", podURL, err, out)
			}
		}
	} else {
		c.eventually(30*time.Second, "pod on node-a to the pod on node-c by pod IP, over VXLAN", func() error {
			out, err := get(podURL)
			if err != nil || !strings.Contains(out, "hello from "+server.Name) {
				return fmt.Errorf("GET %s: %v %s", podURL, err, out)
			}
			return nil
		})
	}
	clusterIP := waitClusterIP(t, run, "web")
	needProxy(t, nodeA.nsenter())
	svcURL := "http://" + clusterIP + "/"
	if backend == podnet.HostGW {
		c.eventually(30*time.Second, "the proxy on node-a has the service", func() error {
			if !strings.Contains(inA("iptables-save", "-t", "nat"), clusterIP) {
				return fmt.Errorf("no rule for %s yet", clusterIP)
			}
			return nil
		})
		if out, err := get(svcURL); err == nil || strings.Contains(out, "hello from") {
			t.Fatalf("host-gw across subnets: GET %s (only endpoint on node-c) answered (%v): %s", svcURL, err, out)
		}
		return
	}
	c.eventually(30*time.Second, "pod on node-a to the ClusterIP whose only endpoint is on node-c", func() error {
		out, err := get(svcURL)
		if err != nil || !strings.Contains(out, "hello from "+server.Name) {
			return fmt.Errorf("GET %s: %v %s", svcURL, err, out)
		}
		return nil
	})
}
