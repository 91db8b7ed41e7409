package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// hostFieldsManifests are the pods of TestE2EHostAndDNSFields: one per
// host or DNS field, all running the network client (a FROM scratch image).
func hostFieldsManifests() string {
	pod := func(name, spec string, labels string) string {
		return fmt.Sprintf(`---
apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: e2e
  labels: {app: %s}
spec:
%s`, name, labels, spec)
	}
	ctr := func(name string, args ...string) string {
		a := ""
		if len(args) > 0 {
			q := make([]string, len(args))
			for i, x := range args {
				q[i] = strconv.Quote(x)
			}
			a = fmt.Sprintf("      args: [%s]\n", strings.Join(q, ", "))
		}
		return fmt.Sprintf("    - name: %s\n      image: %s\n      imagePullPolicy: Never\n%s", name, netclientImage, a)
	}
	return strings.Join([]string{
		pod("hostnet", "  hostNetwork: true\n  containers:\n"+ctr("c", "serve", "18080")+"      ports: [{containerPort: 18080}]\n", "hostnet"),
		pod("hostnet-dns", "  hostNetwork: true\n  dnsPolicy: ClusterFirstWithHostNet\n  containers:\n"+ctr("c"), "hostnet-dns"),
		pod("hostport", "  containers:\n"+ctr("c", "serve", "8080")+"      ports: [{containerPort: 8080, hostPort: 18081}]\n", "hostport"),
		pod("hostpid", "  hostPID: true\n  hostIPC: true\n  containers:\n"+ctr("c"), "hostpid"),
		pod("shared", "  shareProcessNamespace: true\n  containers:\n"+ctr("a")+ctr("b", "serve", "9999"), "shared"),
		pod("named", `  hostname: first
  subdomain: named
  enableServiceLinks: false
  hostAliases:
    - {ip: 10.1.2.3, hostnames: [foo.remote, bar.remote]}
  containers:
`+ctr("c"), "named"),
		pod("client", "  containers:\n"+ctr("c"), "client"),
		`---
apiVersion: v1
kind: Service
metadata:
  name: hostnet
  namespace: e2e
spec:
  selector: {app: hostnet}
  ports: [{port: 80, targetPort: 18080}]
---
apiVersion: v1
kind: Service
metadata:
  name: named
  namespace: e2e
spec:
  clusterIP: None
  selector: {app: named}
  ports: [{port: 8080}]
`}, "")
}

// TestE2EHostAndDNSFields commits pods using each host and DNS field of a
// pod spec to a one-node cluster (a network namespace as the host) and
// checks each from inside the containers: hostNetwork (the node's
// interfaces, podIP = node IP, a Service backed by it answers, the node's
// resolver and ClusterFirstWithHostNet's cluster one), hostPort (answers on
// the node's address), hostPID and hostIPC (the host's namespaces),
// shareProcessNamespace (one container sees the other's process),
// hostname/subdomain (hostname, /etc/hosts line, cluster DNS name),
// hostAliases, enableServiceLinks=false, and the NodePorts filter (a second
// pod with a taken hostPort stays Pending with Kubernetes' reason).
func TestE2EHostAndDNSFields(t *testing.T) {
	files := map[string]string{"namespace.yaml": e2eNamespace, "pods.yaml": hostFieldsManifests()}
	c, sim, run := newSimCluster(t, files, "node-a")
	node := sim.nodes[0]
	byName := map[string]corev1.Pod{}
	c.eventually(180*time.Second, "every pod running", func() error {
		out, err := run("get", "pods", "-n", "e2e", "-o", "json")
		if err != nil {
			return err
		}
		var l struct{ Items []corev1.Pod }
		json.Unmarshal([]byte(out), &l)
		running := runningPods(l.Items)
		if len(running) != 7 {
			return fmt.Errorf("%d of 7 running: %s", len(running), summary(l.Items))
		}
		for _, p := range running {
			byName[p.Name] = p
		}
		return nil
	})
	in := func(pod, ctr string, args ...string) (string, error) {
		return node.exec("e2e/"+pod, ctr, append([]string{"/netclient"}, args...)...)
	}
	expect := func(what, pod, ctr, want string, args ...string) string {
		t.Helper()
		var out string
		c.eventually(60*time.Second, what, func() error {
			var err error
			if out, err = in(pod, ctr, args...); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			if !strings.Contains(out, want) {
				return fmt.Errorf("%s in %s: got %q, want it to contain %q", strings.Join(args, " "), pod, out, want)
			}
			return nil
		})
		return out
	}

	// Sections, not subtests: the harness fails the parent test.
	section := func(name string, fn func()) { t.Logf("--- %s", name); fn() }
	section("hostNetwork", func() {
		p := byName["hostnet"]
		if p.Status.PodIP != node.ip || len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != node.ip || p.Status.HostIP != node.ip {
			t.Errorf("hostNetwork pod: podIP %q podIPs %v hostIP %q, want the node's %s", p.Status.PodIP, p.Status.PodIPs, p.Status.HostIP, node.ip)
		}
		expect("the host's interfaces", "hostnet", "c", "eth0 "+node.ip+"/24", "ifaces")
		if out, _ := in("client", "c", "ifaces"); strings.Contains(out, node.ip+"/") {
			t.Errorf("a pod off the host's network sees the node's address:\n%s", out)
		}
		if got := p.Spec.Containers[0].Ports[0].HostPort; got != 18080 {
			t.Errorf("hostPort of a hostNetwork pod = %d, want containerPort 18080", got)
		}
		// ClusterFirst on the host's network is Default: the node's resolver.
		if out := expect("the node's resolv.conf", "hostnet", "c", "", "cat", "/etc/resolv.conf"); strings.Contains(out, "svc.cluster.local") {
			t.Errorf("hostNetwork pod with dnsPolicy ClusterFirst got the cluster resolver:\n%s", out)
		}
		expect("ClusterFirstWithHostNet: the cluster resolver", "hostnet-dns", "c", "search e2e.svc.cluster.local", "cat", "/etc/resolv.conf")
		svc := waitClusterIP(t, run, "hostnet")
		expect("ClusterFirstWithHostNet resolves a Service", "hostnet-dns", "c", svc, "resolve", "hostnet.e2e.svc.cluster.local")
		c.eventually(60*time.Second, "endpoints at the node IP", func() error {
			out, err := run("get", "endpoints", "hostnet", "-n", "e2e", "-o", "json")
			if err != nil || !strings.Contains(out, `"ip": "`+node.ip+`"`) && !strings.Contains(out, `"ip":"`+node.ip+`"`) {
				return fmt.Errorf("endpoints of hostnet: %v %s", err, out)
			}
			return nil
		})
		needProxy(t, node.nsenter())
		expect("the Service backed by the hostNetwork pod answers", "client", "c", ".", "get", "http://hostnet.e2e.svc.cluster.local/")
	})

	// hostPortAnswers GETs the node's port from the root namespace:
	// another host on the link.
	hostPortAnswers := func(port int) error {
		url := fmt.Sprintf("http://%s:%d/", node.ip, port)
		cl := &http.Client{Timeout: 5 * time.Second}
		resp, err := cl.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || len(strings.TrimSpace(string(b))) == 0 {
			return fmt.Errorf("GET %s: %s %q", url, resp.Status, b)
		}
		return nil
	}
	section("hostPort", func() {
		c.eventually(60*time.Second, "hostPort on the node's address", func() error { return hostPortAnswers(18081) })
	})

	section("hostPID and hostIPC", func() {
		for _, ns := range []string{"pid", "ipc"} {
			host, err := os.Readlink("/proc/self/ns/" + ns)
			if err != nil {
				t.Fatal(err)
			}
			expect("the host's "+ns+" namespace", "hostpid", "c", host, "readlink", "/proc/self/ns/"+ns)
			if out, _ := in("client", "c", "readlink", "/proc/self/ns/"+ns); strings.Contains(out, host) {
				t.Errorf("a pod without host%s shares the host's %s namespace: %s", strings.ToUpper(ns), ns, out)
			}
		}
		if out, err := in("hostpid", "c", "cat", "/proc/1/cmdline"); err != nil || out == "" || strings.Contains(out, "netclient") {
			t.Errorf("hostPID: /proc/1 is %q (%v), want the host's init", out, err)
		}
	})

	section("shareProcessNamespace", func() {
		expect("container a sees container b's process", "shared", "a", "/netclient serve 9999", "ps")
		if out, _ := in("client", "c", "ps"); strings.Contains(out, "serve 9999") {
			t.Errorf("another pod sees the shared pod's process:\n%s", out)
		}
	})

	section("hostname, subdomain, hostAliases, enableServiceLinks", func() {
		ip := byName["named"].Status.PodIP
		expect("hostname", "named", "c", "first", "hostname")
		hosts := expect("/etc/hosts", "named", "c", ip+"\tfirst.named.e2e.svc.cluster.local\tfirst\n", "cat", "/etc/hosts")
		if !strings.HasPrefix(hosts, "# Kubernetes-managed hosts file.\n") || !strings.Contains(hosts, "\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\tbar.remote\n") {
			t.Errorf("/etc/hosts is not the kubelet's with the aliases:\n%s", hosts)
		}
		expect("hostname.subdomain through the cluster DNS", "client", "c", ip, "resolve", "first.named.e2e.svc.cluster.local")
		// A pod started after the Service exists gets its variables
		// (enableServiceLinks defaults to true); the named pod none.
		c.commit("links", map[string]string{"links.yaml": strings.Replace(
			strings.SplitN(hostFieldsManifests(), "---\n", 9)[7], "name: client", "name: links", 1)})
		expect("service variables by default", "links", "c", "HOSTNET_SERVICE_HOST=", "env")
		if out, err := in("named", "c", "env"); err != nil || strings.Contains(out, "_SERVICE_HOST=") {
			t.Errorf("enableServiceLinks=false: env %v\n%s", err, out)
		}
	})

	section("a taken hostPort keeps a pod Pending", func() {
		c.commit("conflict", map[string]string{"conflict.yaml": strings.Replace(
			strings.SplitN(hostFieldsManifests(), "---\n", 5)[3], "name: hostport", "name: conflict", 1)})
		want := "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports."
		c.eventually(60*time.Second, "the conflicting pod unschedulable", func() error {
			out, err := run("get", "pod", "conflict", "-n", "e2e", "-o", "json")
			if err != nil {
				return err
			}
			var p corev1.Pod
			json.Unmarshal([]byte(out), &p)
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Reason == corev1.PodReasonUnschedulable && cond.Message == want {
					// A bare pod from git has no phase until an agent runs it
					// (Kubernetes' API server would say Pending).
					if p.Spec.NodeName != "" || (p.Status.Phase != corev1.PodPending && p.Status.Phase != "") {
						return fmt.Errorf("bound to %q, phase %s", p.Spec.NodeName, p.Status.Phase)
					}
					return nil
				}
			}
			return fmt.Errorf("conditions %+v", p.Status.Conditions)
		})
	})

	section("an edited hostPort makes the pod's sandbox again", func() {
		c.commit("move the host port", map[string]string{"pods.yaml": strings.Replace(hostFieldsManifests(), "hostPort: 18081", "hostPort: 18082", 1)})
		c.eventually(120*time.Second, "the new hostPort answers", func() error { return hostPortAnswers(18082) })
		// The old port is free: the pending pod that wanted it is placed.
		c.eventually(60*time.Second, "the conflicting pod bound", func() error {
			out, err := run("get", "pod", "conflict", "-n", "e2e", "-o", "json")
			var p corev1.Pod
			if err == nil {
				err = json.Unmarshal([]byte(out), &p)
			}
			if err != nil || p.Spec.NodeName != node.name {
				return fmt.Errorf("conflict pod: node %q %v", p.Spec.NodeName, err)
			}
			return nil
		})
	})
}
