package podnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/agent/proxy"
)

func TestNoMasqueradeRules(t *testing.T) {
	got, err := NoMasqueradeRules("10.244.7.9/16")
	if err != nil {
		t.Fatal(err)
	}
	want := `*nat
:RCN-PODNET - [0:0]
-A RCN-PODNET -s 10.244.0.0/16 -d 10.244.0.0/16 -m mark ! --mark 0x4000/0x4000 -m comment --comment "reconcile pod network: pods talk to pods by their own addresses" -j ACCEPT
COMMIT
`
	if got != want {
		t.Fatalf("rules:\n%s\nwant:\n%s", got, want)
	}
	if _, err := NoMasqueradeRules("10.244.0.0"); err == nil {
		t.Fatal("a bad CIDR is not an error")
	}
}

// TestMasqueradeOnFake: with the proxy's fake, ensuring twice leaves one
// jump, first in POSTROUTING, a changed cluster CIDR replaces the chain's
// rule, foreign rules and the proxy's own chains stay, and removal leaves
// exactly what was there before.
func TestMasqueradeOnFake(t *testing.T) {
	ctx := t.Context()
	foreign := []string{"nat POSTROUTING -s 10.244.1.0/24 -j MASQUERADE"}
	f := proxy.NewFake(foreign...)
	m := Masquerade{IPTables: f}
	for _, cidr := range []string{"10.244.0.0/16", "10.244.0.0/16", "10.245.0.0/16"} {
		if err := m.EnsureNoMasquerade(ctx, cidr); err != nil {
			t.Fatal(err)
		}
		post := f.Tables[proxy.TableNAT]["POSTROUTING"]
		if len(post) != 2 || post[0] != noMasqJump.Rule || !strings.Contains(post[1], "MASQUERADE") {
			t.Fatalf("POSTROUTING after ensuring %s: %q", cidr, post)
		}
		chain := f.Tables[proxy.TableNAT][ChainNoMasq]
		if len(chain) != 1 || !strings.HasPrefix(chain[0], "-s "+cidr+" -d "+cidr+" ") {
			t.Fatalf("%s after ensuring %s: %q", ChainNoMasq, cidr, chain)
		}
	}
	if err := m.EnsureNoMasquerade(ctx, "10.244.0.0"); err == nil {
		t.Fatal("a bad cluster CIDR is not an error")
	}
	for range 2 { // removing twice: what is gone is not an error
		if err := m.RemoveNoMasquerade(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := f.Save(), proxy.NewFake(foreign...).Save(); got != want {
		t.Fatalf("after removal:\n%s\nwant:\n%s", got, want)
	}
}

// TestMasqueradeRemovesDuplicateJumps: jumps an older agent inserted more
// than once all go.
func TestMasqueradeRemovesDuplicateJumps(t *testing.T) {
	f := proxy.NewFake("nat POSTROUTING "+noMasqJump.Rule, "nat POSTROUTING "+noMasqJump.Rule)
	f.Tables[proxy.TableNAT][ChainNoMasq] = []string{"-j ACCEPT"}
	if err := (Masquerade{IPTables: f}).RemoveNoMasquerade(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Save(), proxy.NewFake().Save(); got != want {
		t.Fatalf("after removal:\n%s\nwant:\n%s", got, want)
	}
}

// TestMasqueradeInNamespace: the real iptables of each backend in a
// private namespace; ensuring twice leaves one jump, first in POSTROUTING,
// other rules stay, and cleanup removes only ours.
func TestMasqueradeInNamespace(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root and iptables (not with -short)")
	}
	for _, backend := range []string{"nft", "legacy"} {
		t.Run(backend, func(t *testing.T) {
			ns := fmt.Sprintf("rcn-mq-%s-%d", backend, os.Getpid())
			ipt, err := proxy.NewExec(backend, "nsenter", "--net=/run/netns/"+ns)
			if err != nil {
				t.Fatal(err)
			}
			for _, bin := range ipt.Binaries() {
				if _, err := exec.LookPath(bin); err != nil {
					t.Skipf("%s not installed", bin)
				}
			}
			if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
			iptables := func(args ...string) string {
				t.Helper()
				argv := append(append(append([]string{}, ipt.Prefix...), ipt.Bin), args...)
				out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
				if err != nil {
					t.Fatalf("%v %s", err, out)
				}
				return string(out)
			}
			iptables("-t", "nat", "-A", "POSTROUTING", "-s", "10.244.1.0/24", "-j", "MASQUERADE")
			m := Masquerade{IPTables: ipt}
			ctx := context.Background()
			for range 2 {
				if err := m.EnsureNoMasquerade(ctx, "10.244.0.0/16"); err != nil {
					t.Fatal(err)
				}
			}
			lines := strings.Split(strings.TrimSpace(iptables("-t", "nat", "-S", "POSTROUTING")), "\n")
			if len(lines) != 3 || !strings.Contains(lines[1], "-j "+ChainNoMasq) || !strings.Contains(lines[2], "MASQUERADE") {
				t.Fatalf("POSTROUTING after two ensures:\n%s", strings.Join(lines, "\n"))
			}
			if chain := iptables("-t", "nat", "-S", ChainNoMasq); !strings.Contains(chain, "-s 10.244.0.0/16 -d 10.244.0.0/16") {
				t.Fatalf("%s:\n%s", ChainNoMasq, chain)
			}
			if err := m.RemoveNoMasquerade(ctx); err != nil {
				t.Fatal(err)
			}
			if s := iptables("-t", "nat", "-S"); strings.Contains(s, ChainNoMasq) || !strings.Contains(s, "MASQUERADE") {
				t.Fatalf("after cleanup:\n%s", s)
			}
		})
	}
}
