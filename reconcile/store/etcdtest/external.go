package etcdtest

import (
	"context"
	"os"
	"os/exec"
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
func StartExternal(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(DebianEtcd); err != nil {
		if os.Getuid() != 0 {
			t.Skipf("%s is not installed and installing it needs root (apt-get install etcd-server, or make setup-test)", DebianEtcd)
		}
		t.Fatalf("%s is not installed: make setup-test (apt-get install etcd-server)", DebianEtcd)
	}
	client, err := freeURL()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := freeURL()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(DebianEtcd, "--name", "ext", "--data-dir", t.TempDir(),
		"--listen-client-urls", client.String(), "--advertise-client-urls", client.String(),
		"--listen-peer-urls", peer.String(), "--initial-advertise-peer-urls", peer.String(),
		"--initial-cluster", "ext="+peer.String(), "--log-level", "error", "--logger", "zap")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{client.String()}, DialTimeout: 10 * time.Second})
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
			return client.String()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not serve within a minute: %v", DebianEtcd, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
