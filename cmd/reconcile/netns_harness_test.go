package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/agent/podmantest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// This file simulates several hosts on one machine for the network tests:
// each node is a network namespace joined by a veth pair to a bridge in a
// "switch" namespace (the root namespace has a link to it too), with its
// own Podman service (own storage, network config dir and default subnet)
// and its own agent, both run under `nsenter --net=/run/netns/NAME` (not
// `ip netns exec`, which remounts /sys and breaks cgroups). The controller
// runs in the root namespace and listens on its address on that link.
// newRoutedSimNet adds a second subnet behind a router namespace for the
// overlay tests. Agents start in startSimAgent (network_e2e_test.go), the
// one place they do. Everything is removed at the end.

// simNode is one simulated host.
type simNode struct {
	name, netns, ip string
	dir, conf, sock string
	podman          []string // global podman flags for its storage
	svc             *exec.Cmd
}

// simNet is the switch namespace and the nodes on it; a routed one has
// a second switch (subnet 2) and a router namespace between them.
type simNet struct {
	t      testing.TB
	bridge string // the switch namespace of subnet 1
	prefix string // subnet 1, e.g. 10.250.17 (a /24): the root namespace is prefix.1
	// prefix2 is subnet 2 ("" when there is none), e.g. 10.251.17.
	prefix2 string
	nodes   []*simNode
}

func sh(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newSimNet creates a "switch" namespace holding a bridge, one namespace
// per node name and a link from the root namespace, with addresses
// prefix.1 (the root namespace, where the controller listens), prefix.2,
// prefix.3, ... The bridge lives in its own namespace so that node-to-node
// traffic never passes the root namespace's iptables (br_netfilter would
// apply the machine's own Podman NAT rules to it), as between real hosts.
func newSimNet(t testing.TB, names ...string) *simNet {
	return newRoutedSimNet(t, names, nil)
}

// newRoutedSimNet is newSimNet with the nodes named second on another
// subnet: a second switch namespace (prefix2, a /24) and a router
// namespace with a leg on each switch (prefix.254 and prefix2.254) and
// forwarding on. Nodes of each subnet route the other one via the router,
// and the root namespace routes subnet 2 via it too, so the controller on
// prefix.1 serves every node. Nodes of different subnets are not on-link:
// a host-gw route between them cannot be made; only the overlay (UDP
// 8472 between the nodes' addresses, routed) joins their pods.
func newRoutedSimNet(t testing.TB, first, second []string) *simNet {
	id := os.Getpid() % 100000
	n := &simNet{t: t, bridge: fmt.Sprintf("rcn-sw-%d", id), prefix: fmt.Sprintf("10.250.%d", os.Getpid()%250)}
	ports := 0
	// newSwitch makes a switch namespace with a bridge; attach plugs a new
	// veth pair into it, the other end named ifname in namespace ns ("":
	// the root namespace).
	newSwitch := func(name string) {
		exec.Command("ip", "netns", "del", name).Run() // a leftover of a killed run with the same pid
		sh(t, "ip", "netns", "add", name)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		sh(t, "nsenter", "--net=/run/netns/"+name, "ip", "link", "add", "br0", "type", "bridge")
		sh(t, "nsenter", "--net=/run/netns/"+name, "ip", "link", "set", "br0", "up")
	}
	attach := func(sw, ns, ifname string) {
		port := fmt.Sprintf("p%d", ports)
		ports++
		in := []string{"nsenter", "--net=/run/netns/" + sw}
		if ns == "" { // made from the root namespace, its port sent to the switch
			exec.Command("ip", "link", "del", ifname).Run()
			sh(t, "ip", "link", "add", ifname, "type", "veth", "peer", "name", port, "netns", sw)
			t.Cleanup(func() { exec.Command("ip", "link", "del", ifname).Run() })
		} else {
			sh(t, append(in, "ip", "link", "add", port, "type", "veth", "peer", "name", ifname, "netns", ns)...)
		}
		sh(t, append(in, "ip", "link", "set", port, "master", "br0", "up")...)
	}
	newSwitch(n.bridge)
	root := fmt.Sprintf("rcn%dr", id)
	attach(n.bridge, "", root)
	sh(t, "ip", "addr", "add", n.prefix+".1/24", "dev", root)
	sh(t, "ip", "link", "set", root, "up")
	inNS := func(ns string, args ...string) {
		sh(t, append([]string{"nsenter", "--net=/run/netns/" + ns}, args...)...)
	}
	addNode := func(sw, prefix, name string) {
		node := &simNode{name: name, netns: fmt.Sprintf("rcn-%s-%d", name, id), ip: fmt.Sprintf("%s.%d", prefix, len(n.nodes)+2)}
		exec.Command("ip", "netns", "del", node.netns).Run()
		sh(t, "ip", "netns", "add", node.netns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", node.netns).Run() })
		attach(sw, node.netns, "eth0")
		inNS(node.netns, "ip", "addr", "add", node.ip+"/24", "dev", "eth0")
		inNS(node.netns, "ip", "link", "set", "eth0", "up")
		inNS(node.netns, "ip", "link", "set", "lo", "up")
		n.nodes = append(n.nodes, node)
	}
	for _, name := range first {
		addNode(n.bridge, n.prefix, name)
	}
	if len(second) == 0 {
		return n
	}
	n.prefix2 = fmt.Sprintf("10.251.%d", os.Getpid()%250)
	sw2, router := fmt.Sprintf("rcn-sw2-%d", id), fmt.Sprintf("rcn-rtr-%d", id)
	newSwitch(sw2)
	exec.Command("ip", "netns", "del", router).Run()
	sh(t, "ip", "netns", "add", router)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", router).Run() })
	attach(n.bridge, router, "eth1")
	attach(sw2, router, "eth2")
	inNS(router, "ip", "addr", "add", n.prefix+".254/24", "dev", "eth1")
	inNS(router, "ip", "addr", "add", n.prefix2+".254/24", "dev", "eth2")
	for _, l := range []string{"eth1", "eth2", "lo"} {
		inNS(router, "ip", "link", "set", l, "up")
	}
	inNS(router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	sh(t, "ip", "route", "add", n.prefix2+".0/24", "via", n.prefix+".254", "dev", root)
	for _, name := range second {
		addNode(sw2, n.prefix2, name)
	}
	for _, node := range n.nodes {
		if strings.HasPrefix(node.ip, n.prefix2+".") {
			inNS(node.netns, "ip", "route", "add", n.prefix+".0/24", "via", n.prefix2+".254")
		} else {
			inNS(node.netns, "ip", "route", "add", n.prefix2+".0/24", "via", n.prefix+".254")
		}
	}
	return n
}

func (node *simNode) nsenter() []string {
	return []string{"nsenter", "--net=/run/netns/" + node.netns}
}

// startPodman runs the node's own Podman service in its namespace and loads
// the images into its storage.
func (node *simNode) startPodman(t testing.TB, images map[string]string) {
	dir, err := os.MkdirTemp("", "rcn-"+node.name+"-")
	if err != nil {
		t.Fatal(err)
	}
	node.dir = dir
	node.conf = filepath.Join(dir, "containers.conf")
	i := strings.LastIndexByte(node.ip, '.')
	conf := fmt.Sprintf(`[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
[network]
network_config_dir = %q
default_subnet = "10.89.%s.0/24"
`, filepath.Join(dir, "networks"), node.ip[i+1:])
	os.WriteFile(node.conf, []byte(conf), 0o644)
	// Own --tmpdir too: conmon's exit files and the locks under the default
	// /run/libpod would be shared with every other Podman on the machine.
	node.podman = []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
		"--tmpdir", filepath.Join(dir, "tmp"), "--cgroup-manager", "cgroupfs"}
	sock := filepath.Join(dir, "podman.sock")
	node.sock = "unix://" + sock
	args := append(append(node.nsenter(), "podman"), node.podman...)
	node.svc = exec.Command(args[0], append(args[1:], "system", "service", "--time=0", node.sock)...)
	node.svc.Env = append(os.Environ(), "CONTAINERS_CONF="+node.conf)
	if err := node.svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Through the node's service, which runs in the node's namespace.
		rm := exec.Command("podman", "--url", node.sock, "pod", "rm", "-f", "-a")
		if out, err := rm.CombinedOutput(); err != nil {
			t.Errorf("removing the pods of %s: %v\n%s", node.name, err, out)
		}
		node.svc.Process.Signal(os.Interrupt)
		node.svc.Wait()
		podmantest.RemoveStorage(dir) // never `system reset`: it removes host-wide state too
	})
	if err := testkit.Poll(20*time.Second, func() error { _, err := os.Stat(sock); return err }); err != nil {
		t.Fatalf("podman service of %s did not start: %v", node.name, err)
	}
	for tag, ctxDir := range images {
		if out, err := node.podmanCmd("build", "-q", "-t", tag, ctxDir); err != nil {
			t.Fatalf("building %s on %s: %v\n%s", tag, node.name, err, out)
		}
	}
}

// podmanCmd runs podman on the node's storage, in the node's namespace:
// netavark tears pod networks down in the namespace podman runs in.
func (node *simNode) podmanCmd(args ...string) (string, error) {
	full := append(append(append(node.nsenter(), "podman"), node.podman...), args...)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+node.conf)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// exec runs a command in the running container of a pod (by its labels).
func (node *simNode) exec(pod, container string, cmd ...string) (string, error) {
	id, err := node.podmanCmd("ps", "-q", "--no-trunc", "--filter", "label=reconcile.pod="+pod, "--filter", "label=reconcile.container="+container)
	id = strings.TrimSpace(id)
	if err != nil || id == "" || strings.Contains(id, "\n") {
		return "", fmt.Errorf("container %s of pod %s on %s: %q %v", container, pod, node.name, id, err)
	}
	return node.podmanCmd(append([]string{"exec", id}, cmd...)...)
}

// imageDirs builds the static binaries of the demo server and the network
// client once and returns build contexts for their images.
func imageDirs(t testing.TB) map[string]string {
	dirs := map[string]string{}
	for tag, pkg := range map[string]string{"localhost/reconcile-hello:v1": "../../examples/hello", netclientImage: "./testdata/netclient"} {
		dir := filepath.Join(env.dir, "img-"+filepath.Base(pkg))
		if _, err := os.Stat(filepath.Join(dir, "Containerfile")); err != nil {
			os.MkdirAll(dir, 0o755)
			bin := filepath.Base(pkg)
			build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=v1", "-o", filepath.Join(dir, bin), pkg)
			build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build %s: %v\n%s", pkg, err, out)
			}
			cf := fmt.Sprintf("FROM scratch\nCOPY %s /%s\nENTRYPOINT [\"/%s\"]\n", bin, bin, bin)
			os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(cf), 0o644)
		}
		dirs[tag] = dir
	}
	return dirs
}

const netclientImage = "localhost/reconcile-netclient:e2e"
