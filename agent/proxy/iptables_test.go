package proxy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// netns creates a private network namespace for real iptables (so the
// host's tables stay clean) and returns an Exec working in it.
func netns(t testing.TB) Exec {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for ip netns and iptables")
	}
	for _, bin := range []string{"ip", "nsenter", "iptables-restore", "iptables-save"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	name := fmt.Sprintf("reconcile-proxy-test-%d-%d", os.Getpid(), len(strings.Split(t.Name(), "/"))+int(nsSeq.Add(1)))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return Exec{Prefix: []string{"nsenter", "--net=/run/netns/" + name}}
}

// ownedSave is iptables-save's text for the owned chains and the hooks.
func ownedSave(t testing.TB, e Exec) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{TableFilter, TableNAT} {
		out, err := e.cmd(t.Context(), e.SaveBin, "iptables-save", "-t", table).Output()
		if err != nil {
			t.Fatalf("iptables-save: %v", err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, chainPrefix) {
				b.WriteString(table + " " + line + "\n")
			}
		}
	}
	return b.String()
}

// TestGoldenIsIptablesSaveText loads each golden file into a fresh
// namespace with the real iptables-restore and reads it back with
// iptables-save: the rules come back exactly as rendered, so the golden
// files are iptables-save text and a partial sync's -D lines match.
func TestGoldenIsIptablesSaveText(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.golden")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".nft.golden") {
			continue // the nftables mode's: TestNFTGoldenOnRealKernel
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			e := netns(t)
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Restore(t.Context(), text); err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, line := range strings.Split(string(text), "\n") {
				if strings.HasPrefix(line, "-A ") {
					want.WriteString(line + "\n")
				}
			}
			var got strings.Builder
			for _, table := range []string{TableFilter, TableNAT} {
				out, _ := e.cmd(t.Context(), "", "iptables-save", "-t", table).Output()
				for _, line := range strings.Split(string(out), "\n") {
					if strings.HasPrefix(line, "-A ") {
						got.WriteString(line + "\n")
					}
				}
			}
			if g, w := byChain(got.String()), byChain(want.String()); g != w {
				t.Fatalf("iptables-save gives back\n%s\nrendered\n%s", got.String(), want.String())
			}
		})
	}
}

// TestProxierOnRealIptables runs full and partial syncs and the cleanup
// against the kernel in a private namespace, next to a foreign rule.
func TestProxierOnRealIptables(t *testing.T) {
	for _, backend := range []string{"nft", "legacy"} {
		t.Run(backend, func(t *testing.T) { proxierOnRealIptables(t, backend) })
	}
}

// netnsBackend is netns with the tools of an iptables backend.
func netnsBackend(t *testing.T, backend string) Exec {
	e, err := NewExec(backend, netns(t).Prefix...)
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range e.Binaries() {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	return e
}

func proxierOnRealIptables(t *testing.T, backend string) {
	e := netnsBackend(t, backend)
	if err := e.Restore(t.Context(), []byte("*nat\n:FOREIGN - [0:0]\n-A PREROUTING -j FOREIGN\nCOMMIT\n")); err != nil {
		t.Fatal(err)
	}
	src := &memSource{}
	opts := Options{ServiceCIDR: "10.96.0.0/16"}
	p := &Proxier{Source: src, IPTables: e, Options: opts}
	web := service("web", "10.96.0.10", corev1.ServiceTypeNodePort, port("", corev1.ProtocolTCP, 80, 30080))
	steps := []func(){
		func() {},
		func() { src.svcs = []*corev1.Service{web} },
		func() {
			src.eps = []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.0.3"})}
		},
		func() {
			src.eps = []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.3"})}
		},
		// A LoadBalancer appears (RECONCILE-LOADBALANCERS and its jump
		// come), turns Local, then goes (they go).
		func() {
			src.svcs = []*corev1.Service{web, loadBalancer("shop", "10.96.0.11", []string{"192.168.1.2", "192.0.2.10"}, port("", corev1.ProtocolTCP, 80, 30081))}
			src.eps = append(src.eps, endpoints("shop", map[string]int32{"": 8080}, []string{"10.88.0.4"}))
		},
		func() { src.svcs[1].Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal },
		func() { src.svcs, src.eps = nil, nil },
	}
	for i, step := range steps {
		step()
		if _, err := p.Sync(t.Context()); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		// What a fresh proxier's full sync writes in another namespace.
		other := netnsBackend(t, backend)
		if _, err := (&Proxier{Source: src, IPTables: other, Options: opts}).Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if i == 2 && !strings.Contains(ownedSave(t, e), "--to-destination 10.88.0.2:8080") {
			t.Fatalf("%s: the endpoint's rule is not in the backend's tables:\n%s", backend, ownedSave(t, e))
		}
		if got, want := sortLines(ownedSave(t, e)), sortLines(ownedSave(t, other)); got != want {
			t.Fatalf("step %d: kernel after partial sync:\n%s\nafter a full sync:\n%s", i, got, want)
		}
	}
	// Something inserts an ACCEPT at the top of FORWARD (as netavark
	// does): the next hook check moves the proxy's hook back above it.
	if out, err := e.cmd(t.Context(), e.Bin, "iptables", "-w", "-I", "FORWARD", "1", "-s", "10.88.0.0/16", "-j", "ACCEPT").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	p.lastHooks = time.Time{}
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	forward, _ := e.cmd(t.Context(), e.Bin, "iptables", "-w", "-S", "FORWARD").Output()
	hook := Hooks[4]
	if hook.Chain != "FORWARD" || FirstRule("FORWARD", forward) != hook.Rule || strings.Count(string(forward), hook.Rule) != 1 {
		t.Fatalf("%s: FORWARD after the hook check:\n%s", backend, forward)
	}
	if err := Cleanup(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if left := ownedSave(t, e); left != "" {
		t.Fatalf("after cleanup:\n%s", left)
	}
	out, _ := e.cmd(t.Context(), e.SaveBin, "iptables-save", "-t", "nat").Output()
	if !bytes.Contains(out, []byte("-A PREROUTING -j FOREIGN")) {
		t.Fatalf("the foreign rule is gone:\n%s", out)
	}
}

// byChain orders "-A CHAIN rule" lines by chain, keeping each chain's
// order: iptables-save lists chains in its own order.
func byChain(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.SortStableFunc(lines, func(a, b string) int {
		return strings.Compare(strings.Fields(a)[1], strings.Fields(b)[1])
	})
	return strings.Join(lines, "\n")
}

func sortLines(s string) string {
	lines := strings.Split(s, "\n")
	slicesSort(lines)
	return strings.Join(lines, "\n")
}

var nsSeq atomic.Int64

func slicesSort(s []string) { slices.Sort(s) }
