package etcdtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// DebianEtcd is Debian's etcd-server (3.4): the store must work with an
// etcd its users run, not only with the embedded 3.6.
const DebianEtcd = "/usr/bin/etcd"

// StartExternal runs DebianEtcd as one member on loopback ports until the
// end of the test and returns its client URL. It skips when the binary is
// missing and cannot be installed (not root), and fails when it is
// missing as root (make setup-test installs it).
func StartExternal(t testing.TB) string { return StartExternalCluster(t, 1)[0] }

// StartExternalCluster runs n DebianEtcd members forming one cluster on
// loopback ports until the end of the test and returns their client URLs.
func StartExternalCluster(t testing.TB, n int) []string {
	t.Helper()
	if _, err := os.Stat(DebianEtcd); err != nil {
		if os.Getuid() != 0 {
			t.Skipf("%s is not installed and installing it needs root (apt-get install etcd-server, or make setup-test)", DebianEtcd)
		}
		t.Fatalf("%s is not installed: make setup-test (apt-get install etcd-server)", DebianEtcd)
	}
	clients := make([]string, n)
	peers := make([]string, n)
	var initial []string
	for i := range n {
		client, err := freeURL()
		if err != nil {
			t.Fatal(err)
		}
		peer, err := freeURL()
		if err != nil {
			t.Fatal(err)
		}
		clients[i], peers[i] = client.String(), peer.String()
		initial = append(initial, fmt.Sprintf("ext%d=%s", i, peers[i]))
	}
	for i := range n {
		cmd := exec.Command(DebianEtcd, "--name", fmt.Sprintf("ext%d", i), "--data-dir", t.TempDir(),
			"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
			"--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", peers[i],
			"--initial-cluster", strings.Join(initial, ","), "--log-level", "error", "--logger", "zap")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: clients, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := cli.Put(ctx, "/etcdtest/ping", "")
		cancel()
		if err == nil {
			return clients
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (%d members) did not serve within a minute: %v", DebianEtcd, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
