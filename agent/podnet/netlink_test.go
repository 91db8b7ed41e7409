package podnet

import (
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// netnsForTest makes a throwaway network namespace with a veth pair
// (rt0 10.123.0.1/24, MTU 1500) and a route to 10.200.0.0/24 via a
// router at 10.123.0.254, and returns a Netlink in it and a runner of
// commands in it. Everything goes with the namespace.
func netnsForTest(t *testing.T, tag string) (*Netlink, func(args ...string) string) {
	t.Helper()
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root and a kernel (not with -short)")
	}
	ns := fmt.Sprintf("rcn-%s-%d", tag, os.Getpid())
	exec.Command("ip", "netns", "del", ns).Run() // a leftover of a killed run
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sh := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("nsenter", append([]string{"--net=/run/netns/" + ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	sh("ip", "link", "add", "rt0", "mtu", "1500", "type", "veth", "peer", "name", "rt1")
	sh("ip", "link", "set", "rt1", "up")
	sh("ip", "addr", "add", "10.123.0.1/24", "dev", "rt0")
	sh("ip", "link", "set", "rt0", "up")
	sh("ip", "route", "add", "10.200.0.0/24", "via", "10.123.0.254")
	sh("ip", "route", "add", "10.244.7.0/24", "via", "10.123.0.7") // not ours
	k, err := NetlinkAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k, sh
}

// TestNetlinkRoutesInNamespace runs the host-gw routes against the
// kernel: it adds, changes and removes its own routes and never touches a
// route it did not make.
func TestNetlinkRoutesInNamespace(t *testing.T) {
	k, sh := netnsForTest(t, "rt")
	ctx := t.Context()
	want := []Route{{Dst: "10.244.1.0/24", Via: "10.123.0.2"}, {Dst: "10.244.2.0/24", Via: "10.123.0.3"}}
	if err := SyncRoutes(ctx, k, want); err != nil {
		t.Fatal(err)
	}
	if got, err := k.List(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("List = %v, %v; want %v", got, err, want)
	}
	if got := sh("ip", "-4", "-o", "route", "show", "proto", "147"); !strings.Contains(got, "10.244.1.0/24 via 10.123.0.2 dev rt0") {
		t.Fatalf("ip route show proto 147:\n%s", got)
	}
	// Node b moved; node c left.
	want = []Route{{Dst: "10.244.1.0/24", Via: "10.123.0.22"}}
	if err := SyncRoutes(ctx, k, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := k.List(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the change List = %v, want %v", got, want)
	}
	if err := SyncRoutes(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	all := sh("ip", "-4", "-o", "route", "show")
	if !strings.Contains(all, "10.244.7.0/24 via 10.123.0.7") || strings.Contains(all, "10.244.1.0") {
		t.Fatalf("routes left:\n%s", all)
	}
	// A gateway that is not on a connected network: host-gw cannot work.
	if err := k.Replace(ctx, Route{Dst: "10.244.3.0/24", Via: "10.200.0.1"}); err == nil || !strings.Contains(err.Error(), "route replace 10.244.3.0/24 via 10.200.0.1") {
		t.Fatalf("a gateway that is not on a connected network: err = %v", err)
	}
	for ip, want := range map[string]bool{"10.123.0.7": true, "10.200.0.5": false} {
		if got, err := k.OnLink(ctx, ip); err != nil || got != want {
			t.Errorf("OnLink(%s) = %v, %v; want %v", ip, got, err, want)
		}
	}
}

// TestNetlinkVXLANInNamespace makes the VXLAN device and the overlay
// entries of two peers (one on-link, one behind the router) in the
// kernel, changes a peer, and removes everything.
func TestNetlinkVXLANInNamespace(t *testing.T) {
	k, sh := netnsForTest(t, "vx")
	ctx := t.Context()
	if _, err := k.EnsureVXLAN(ctx, "10.9.9.9", "10.244.0.0/24"); err == nil || !strings.Contains(err.Error(), "--node-ip") {
		t.Fatalf("a node IP of no interface: %v", err)
	}
	vtep, err := k.EnsureVXLAN(ctx, "10.123.0.1", "10.244.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if vtep.MTU != 1450 || vtep.MAC != VTEPMAC("10.123.0.1").String() {
		t.Fatalf("VTEP %+v, want MTU 1450 (1500 - 50) and MAC %s", vtep, VTEPMAC("10.123.0.1"))
	}
	link, err := k.handle().LinkByName(VXLANDevice)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := link.(*netlink.Vxlan)
	if !ok || v.VxlanId != 1 || v.Port != 8472 || v.Learning || !v.SrcAddr.Equal([]byte{10, 123, 0, 1}) || v.MTU != 1450 {
		t.Fatalf("device %s: %#v", VXLANDevice, link)
	}
	detail := sh("ip", "-d", "addr", "show", "dev", VXLANDevice)
	for _, want := range []string{"vxlan id 1", "local 10.123.0.1", "dstport 8472", "nolearning", "inet 10.244.0.0/32", "mtu 1450", "UP"} {
		if !strings.Contains(detail, want) {
			t.Fatalf("ip -d addr show dev %s lacks %q:\n%s", VXLANDevice, want, detail)
		}
	}
	// Again: the device is kept (its entries stay).
	if _, err := k.EnsureVXLAN(ctx, "10.123.0.1", "10.244.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if again, _ := k.handle().LinkByName(VXLANDevice); again.Attrs().Index != link.Attrs().Index {
		t.Fatalf("a device made right was recreated")
	}

	macB, macC := VTEPMAC("10.123.0.3").String(), VTEPMAC("10.200.0.5").String()
	peers := []Peer{{Name: "b", IP: "10.123.0.3", PodCIDR: "10.244.1.0/24", MAC: macB}, {Name: "c", IP: "10.200.0.5", PodCIDR: "10.244.2.0/24", MAC: macC}}
	onLink := map[string]bool{}
	for _, p := range peers {
		onLink[p.IP], _ = k.OnLink(ctx, p.IP)
	}
	sync := func(backend Backend, peers []Peer) State {
		t.Helper()
		want := DesiredState(peers, backend, onLink)
		if err := SyncState(ctx, k, want); err != nil {
			t.Fatal(err)
		}
		got, err := Observe(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if left := PlanState(want, got); !left.Empty() {
			t.Fatalf("%s: the kernel holds\n%+v\nwant\n%+v\nstill to do:\n%s", backend, got, want, left)
		}
		return got
	}
	sync(VXLAN, peers)
	routes := sh("ip", "-4", "route", "show", "proto", "147")
	for _, want := range []string{"10.244.1.0/24 via 10.244.1.0 dev reconcile.1 onlink", "10.244.2.0/24 via 10.244.2.0 dev reconcile.1 onlink"} {
		if !strings.Contains(routes, want) {
			t.Fatalf("routes lack %q:\n%s", want, routes)
		}
	}
	if neigh := sh("ip", "neigh", "show", "dev", VXLANDevice); !strings.Contains(neigh, "10.244.2.0 lladdr "+macC+" PERMANENT") {
		t.Fatalf("neighbours:\n%s", neigh)
	}
	if fdb := sh("bridge", "fdb", "show", "dev", VXLANDevice); !strings.Contains(fdb, macC+" dst 10.200.0.5 self permanent") {
		t.Fatalf("fdb:\n%s", fdb)
	}
	// Auto: b is on-link and turns host-gw; c stays on the overlay.
	got := sync(Auto, peers)
	if len(got.FDB) != 1 || !slices.Contains(got.Routes, Route{Dst: "10.244.1.0/24", Via: "10.123.0.3"}) {
		t.Fatalf("auto: %+v", got)
	}
	// c moved to another address (its MAC goes with its IP).
	peers[1].IP, peers[1].MAC = "10.200.0.6", VTEPMAC("10.200.0.6").String()
	sync(VXLAN, peers)
	// A new podCIDR for this node: the device's address follows.
	if _, err := k.EnsureVXLAN(ctx, "10.123.0.1", "10.244.9.0/24"); err != nil {
		t.Fatal(err)
	}
	if a := sh("ip", "-4", "-o", "addr", "show", "dev", VXLANDevice); !strings.Contains(a, "10.244.9.0/32") || strings.Contains(a, "10.244.0.0/32") {
		t.Fatalf("addresses after a podCIDR change:\n%s", a)
	}
	// Removing the device takes its entries and overlay routes along.
	for range 2 {
		if err := k.RemoveVXLAN(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := Observe(ctx, k); err != nil || len(got.Routes)+len(got.Neighbours)+len(got.FDB) != 0 {
		t.Fatalf("after RemoveVXLAN: %+v, %v", got, err)
	}
	if all := sh("ip", "-4", "-o", "route", "show"); !strings.Contains(all, "10.244.7.0/24 via 10.123.0.7") {
		t.Fatalf("a foreign route went:\n%s", all)
	}
}
