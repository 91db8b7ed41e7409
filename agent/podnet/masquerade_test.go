package podnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
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

// TestNoMasqueradeInNamespace: the real iptables in a private namespace;
// ensuring twice leaves one jump, first in POSTROUTING, other rules stay,
// and cleanup removes only ours.
func TestNoMasqueradeInNamespace(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root and iptables (not with -short)")
	}
	ns := fmt.Sprintf("rcn-mq-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	in := []string{"nsenter", "--net=/run/netns/" + ns}
	save := func() string {
		out, err := exec.Command(in[0], append(in[1:], "iptables", "-t", "nat", "-S", "POSTROUTING")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v %s", err, out)
		}
		return string(out)
	}
	if out, err := exec.Command(in[0], append(in[1:], "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.244.1.0/24", "-j", "MASQUERADE")...).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	ipt := Iptables{Prefix: in}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := ipt.EnsureNoMasquerade(ctx, "10.244.0.0/16"); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(save()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "-j "+ChainNoMasq) || !strings.Contains(lines[2], "MASQUERADE") {
		t.Fatalf("POSTROUTING after two ensures:\n%s", strings.Join(lines, "\n"))
	}
	if err := ipt.RemoveNoMasquerade(ctx); err != nil {
		t.Fatal(err)
	}
	if s := save(); strings.Contains(s, ChainNoMasq) || !strings.Contains(s, "MASQUERADE") {
		t.Fatalf("after cleanup:\n%s", s)
	}
}
