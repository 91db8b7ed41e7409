package podnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// TestIPRouteInNamespace runs IPRoute against the kernel, in a private
// network namespace: it adds, changes and removes its own routes and never
// touches a route it did not make.
func TestIPRouteInNamespace(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root and a kernel (not with -short)")
	}
	ns := fmt.Sprintf("rcn-rt-%d", os.Getpid())
	sh := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	sh("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	in := []string{"nsenter", "--net=/run/netns/" + ns}
	sh(append(in, "ip", "link", "add", "rt0", "type", "veth", "peer", "name", "rt1")...)
	sh(append(in, "ip", "link", "set", "rt1", "up")...)
	sh(append(in, "ip", "addr", "add", "10.123.0.1/24", "dev", "rt0")...)
	sh(append(in, "ip", "link", "set", "rt0", "up")...)
	sh(append(in, "ip", "route", "add", "10.244.7.0/24", "via", "10.123.0.7")...) // not ours

	table := IPRoute{Command: append(append([]string{}, in...), "ip")}
	ctx := context.Background()
	want := []Route{{"10.244.1.0/24", "10.123.0.2"}, {"10.244.2.0/24", "10.123.0.3"}}
	if err := SyncRoutes(ctx, table, want); err != nil {
		t.Fatal(err)
	}
	if got, err := table.List(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("List = %v, %v; want %v", got, err, want)
	}
	// Node b moved; node c left.
	want = []Route{{"10.244.1.0/24", "10.123.0.22"}}
	if err := SyncRoutes(ctx, table, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := table.List(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the change List = %v, want %v", got, want)
	}
	if err := SyncRoutes(ctx, table, nil); err != nil {
		t.Fatal(err)
	}
	all := sh(append(in, "ip", "-4", "-o", "route", "show")...)
	if !strings.Contains(all, "10.244.7.0/24 via 10.123.0.7") || strings.Contains(all, "10.244.1.0") {
		t.Fatalf("routes left:\n%s", all)
	}
	if err := table.Replace(ctx, Route{"10.244.3.0/24", "10.200.0.1"}); err == nil || !strings.Contains(err.Error(), "ip route replace") {
		t.Fatalf("a gateway that is not on a connected network: err = %v", err)
	}
}
