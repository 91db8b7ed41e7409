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
// Everything is removed at the end.

// simNode is one simulated host.
type simNode struct {
	name, netns, ip string
	dir, conf, sock string
	podman          []string // global podman flags for its storage
	svc             *exec.Cmd
}

// simNet is the switch namespace and the nodes on it.
type simNet struct {
	t      testing.TB
	bridge string // the switch namespace
	prefix string // e.g. 10.250.17 (a /24)
	nodes  []*simNode
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
	id := os.Getpid() % 100000
	n := &simNet{t: t, bridge: fmt.Sprintf("rcn-sw-%d", id), prefix: fmt.Sprintf("10.250.%d", os.Getpid()%250)}
	exec.Command("ip", "netns", "del", n.bridge).Run() // a leftover of a killed run with the same pid
	sh(t, "ip", "netns", "add", n.bridge)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.bridge).Run() })
	sw := []string{"nsenter", "--net=/run/netns/" + n.bridge}
	sh(t, append(sw, "ip", "link", "add", "br0", "type", "bridge")...)
	sh(t, append(sw, "ip", "link", "set", "br0", "up")...)
	// port attaches the peer of a new veth pair to the bridge.
	port := func(i int) string { return fmt.Sprintf("p%d", i) }
	root := fmt.Sprintf("rcn%dr", id)
	exec.Command("ip", "link", "del", root).Run()
	sh(t, "ip", "link", "add", root, "type", "veth", "peer", "name", port(0), "netns", n.bridge)
	t.Cleanup(func() { exec.Command("ip", "link", "del", root).Run() })
	sh(t, "ip", "addr", "add", n.prefix+".1/24", "dev", root)
	sh(t, "ip", "link", "set", root, "up")
	sh(t, append(sw, "ip", "link", "set", port(0), "master", "br0", "up")...)
	for i, name := range names {
		node := &simNode{name: name, netns: fmt.Sprintf("rcn-%s-%d", name, id), ip: fmt.Sprintf("%s.%d", n.prefix, i+2)}
		exec.Command("ip", "netns", "del", node.netns).Run()
		sh(t, "ip", "netns", "add", node.netns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", node.netns).Run() })
		sh(t, append(sw, "ip", "link", "add", port(i+1), "type", "veth", "peer", "name", "eth0", "netns", node.netns)...)
		sh(t, append(sw, "ip", "link", "set", port(i+1), "master", "br0", "up")...)
		in := node.nsenter()
		sh(t, append(in, "ip", "addr", "add", node.ip+"/24", "dev", "eth0")...)
		sh(t, append(in, "ip", "link", "set", "eth0", "up")...)
		sh(t, append(in, "ip", "link", "set", "lo", "up")...)
		n.nodes = append(n.nodes, node)
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
