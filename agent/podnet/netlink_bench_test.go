package podnet

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
)

// BenchmarkNetlinkSync: what the agent's sync costs against the kernel
// with N peers over VXLAN (route, neighbour and FDB entry each), in a
// throwaway namespace: "add" makes every entry from none (a node's first
// sync), "steady" finds them all in place (every later node change).
//
//	sudo go test -run '^$' -bench NetlinkSync -benchtime 20x ./agent/podnet/
func BenchmarkNetlinkSync(b *testing.B) {
	for _, n := range []int{100, 1000} {
		peers := make([]Peer, n)
		for i := range peers {
			ip := fmt.Sprintf("10.200.%d.%d", i/250, i%250+1)
			peers[i] = Peer{Name: fmt.Sprint(i), IP: ip, PodCIDR: fmt.Sprintf("10.%d.%d.0/24", 100+i/256, i%256), MAC: VTEPMAC(ip).String()}
		}
		want := DesiredState(peers, VXLAN, nil)
		b.Run(fmt.Sprintf("add/peers=%d", n), func(b *testing.B) {
			k := benchNamespace(b, "bs")
			for b.Loop() {
				if err := SyncState(b.Context(), k, want); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := SyncState(b.Context(), k, State{}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
		b.Run(fmt.Sprintf("steady/peers=%d", n), func(b *testing.B) {
			k := benchNamespace(b, "bs")
			if err := SyncState(b.Context(), k, want); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				have, err := Observe(b.Context(), k)
				if err != nil {
					b.Fatal(err)
				}
				if p := PlanState(want, have); !p.Empty() {
					b.Fatalf("steady state has work:\n%s", p)
				}
			}
		})
	}
}

// benchNamespace is a namespace with an underlay (rt0 10.123.0.1/24, a
// route to 10.200.0.0/16) and the VXLAN device.
func benchNamespace(b *testing.B, tag string) *Netlink {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	ns := fmt.Sprintf("rcn-%s-%d", tag, os.Getpid())
	run := func(args ...string) {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			b.Fatalf("%v: %v %s", args, err, out)
		}
	}
	exec.Command("ip", "netns", "del", ns).Run()
	run("ip", "netns", "add", ns)
	b.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	in := func(args ...string) { run(append([]string{"nsenter", "--net=/run/netns/" + ns}, args...)...) }
	in("ip", "link", "add", "rt0", "type", "veth", "peer", "name", "rt1")
	in("ip", "addr", "add", "10.123.0.1/24", "dev", "rt0")
	in("ip", "link", "set", "rt0", "up")
	in("ip", "link", "set", "rt1", "up")
	in("ip", "route", "add", "10.200.0.0/16", "via", "10.123.0.254")
	k, err := NetlinkAt(ns)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(k.Close)
	if _, err := k.EnsureVXLAN(b.Context(), "10.123.0.1", "10.99.0.0/24"); err != nil {
		b.Fatal(err)
	}
	return k
}

// BenchmarkOverlayPath: TCP between two node namespaces joined by a veth
// pair, directly (host-gw's path) and through their VXLAN devices made by
// EnsureVXLAN and SyncState (the overlay's path): the round trip of a
// 1-byte request and answer on one connection ("rtt"), and the
// throughput of a 64 KiB-write stream ("stream", MB/s).
//
//	sudo go test -run '^$' -bench OverlayPath -benchtime 3s ./agent/podnet/
func BenchmarkOverlayPath(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	nsA, nsB := fmt.Sprintf("rcn-ba-%d", os.Getpid()), fmt.Sprintf("rcn-bb-%d", os.Getpid())
	run := func(args ...string) {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			b.Fatalf("%v: %v %s", args, err, out)
		}
	}
	for _, ns := range []string{nsA, nsB} {
		exec.Command("ip", "netns", "del", ns).Run()
		run("ip", "netns", "add", ns)
		b.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	run("nsenter", "--net=/run/netns/"+nsA, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nsB)
	nodes := map[string]Peer{nsA: {IP: "10.123.0.1", PodCIDR: "10.244.0.0/24"}, nsB: {IP: "10.123.0.2", PodCIDR: "10.244.1.0/24"}}
	for ns, p := range nodes {
		run("nsenter", "--net=/run/netns/"+ns, "ip", "addr", "add", p.IP+"/24", "dev", "eth0")
		run("nsenter", "--net=/run/netns/"+ns, "ip", "link", "set", "eth0", "up")
		run("nsenter", "--net=/run/netns/"+ns, "ip", "link", "set", "lo", "up")
		k, err := NetlinkAt(ns)
		if err != nil {
			b.Fatal(err)
		}
		defer k.Close()
		vtep, err := k.EnsureVXLAN(b.Context(), p.IP, p.PodCIDR)
		if err != nil {
			b.Fatal(err)
		}
		p.MAC = vtep.MAC
		nodes[ns] = p
	}
	for ns := range nodes {
		k, _ := NetlinkAt(ns)
		defer k.Close()
		var peers []Peer
		for other, p := range nodes {
			if other != ns {
				peers = append(peers, p)
			}
		}
		if err := SyncState(b.Context(), k, DesiredState(peers, VXLAN, nil)); err != nil {
			b.Fatal(err)
		}
	}
	// B's VTEP address is in its podCIDR: A reaches it through the overlay
	// route; B's node IP is the host-gw path.
	vtepB, _ := VTEPAddr(nodes[nsB].PodCIDR)
	for _, path := range []struct{ name, addr string }{{"host-gw", nodes[nsB].IP}, {"vxlan", vtepB.String()}} {
		var ln net.Listener
		inNetns(b, nsB, func() (err error) { ln, err = net.Listen("tcp", path.addr+":0"); return err })
		go serveEcho(ln)
		dial := func() net.Conn {
			var c net.Conn
			inNetns(b, nsA, func() (err error) { c, err = net.Dial("tcp", ln.Addr().String()); return err })
			return c
		}
		b.Run(path.name+"/rtt", func(b *testing.B) {
			c := dial()
			defer c.Close()
			buf := []byte{1}
			for b.Loop() {
				if _, err := c.Write(buf); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(path.name+"/stream", func(b *testing.B) {
			c := dial()
			defer c.Close()
			c.Write([]byte{0}) // 0: discard, not echo
			chunk := make([]byte, 64<<10)
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				if _, err := c.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
		})
		ln.Close()
	}
}

// serveEcho answers each connection: after a first byte 1 it echoes, after
// a 0 it discards.
func serveEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			first := make([]byte, 1)
			if _, err := io.ReadFull(c, first); err != nil {
				return
			}
			if first[0] == 0 {
				io.Copy(io.Discard, c)
				return
			}
			c.Write(first)
			io.Copy(c, c)
		}()
	}
}

// inNetns runs fn on a thread switched into namespace name: sockets fn
// opens stay in that namespace.
func inNetns(b *testing.B, name string, fn func() error) {
	b.Helper()
	// A failure below leaves the thread locked: Go ends it with the
	// goroutine instead of reusing a thread in another namespace.
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		b.Fatal(err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(name)
	if err != nil {
		b.Fatal(err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		b.Fatal(err)
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		b.Fatal(err)
	}
	runtime.UnlockOSThread()
	if ferr != nil {
		b.Fatal(ferr)
	}
}
