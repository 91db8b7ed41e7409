package podnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEnsureNetworkRealPodman runs EnsureNetwork against a real Podman
// service in a private network namespace with its own storage and network
// config dir: it creates the network, leaves a matching one alone, and
// recreates one whose subnet is not the node's podCIDR.
func TestEnsureNetworkRealPodman(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root and Podman (not with -short)")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("needs podman")
	}
	ns := fmt.Sprintf("rcn-nw-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	dir, err := os.MkdirTemp("", "rcn-nw-")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "containers.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[engine]\nruntime = \"runc\"\n[network]\nnetwork_config_dir = %q\n", filepath.Join(dir, "networks"))), 0o644)
	flags := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"), "--tmpdir", filepath.Join(dir, "tmp")}
	sock := filepath.Join(dir, "podman.sock")
	svc := exec.Command("nsenter", append(append([]string{"--net=/run/netns/" + ns, "podman"}, flags...), "system", "service", "--time=0", "unix://"+sock)...)
	svc.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Process.Signal(os.Interrupt)
		svc.Wait()
		os.RemoveAll(dir)
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("podman service did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	subnetOf := func() string {
		cmd := exec.Command("podman", append(flags, "network", "inspect", "--format", "{{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}} dns={{.DNSEnabled}} mtu={{index .Options \"mtu\"}}", DefaultNetwork)...)
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("podman network inspect: %v %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	ctx := context.Background()
	uri := "unix://" + sock
	for _, step := range []struct {
		cidr string
		mtu  int
		want string
	}{
		{"10.244.3.0/24", 0, "10.244.3.0/24 10.244.3.1 dns=false mtu="},        // created
		{"10.244.3.0/24", 0, "10.244.3.0/24 10.244.3.1 dns=false mtu="},        // kept
		{"10.244.4.0/24", 0, "10.244.4.0/24 10.244.4.1 dns=false mtu="},        // recreated with the new podCIDR
		{"10.244.4.0/24", 1450, "10.244.4.0/24 10.244.4.1 dns=false mtu=1450"}, // recreated with the overlay's MTU
		{"10.244.4.0/24", 1450, "10.244.4.0/24 10.244.4.1 dns=false mtu=1450"}, // kept
	} {
		gw, err := EnsureNetwork(ctx, uri, DefaultNetwork, step.cidr, step.mtu)
		if err != nil {
			t.Fatal(err)
		}
		if got := subnetOf(); got != step.want || !strings.Contains(step.want, " "+gw.String()+" ") {
			t.Fatalf("after EnsureNetwork(%s): network %q gateway %s, want %q", step.cidr, got, gw, step.want)
		}
	}
	if _, err := EnsureNetwork(ctx, uri, DefaultNetwork, "not-a-cidr", 0); err == nil || !strings.Contains(err.Error(), "not a CIDR") {
		t.Fatalf("bad podCIDR: %v", err)
	}
}
