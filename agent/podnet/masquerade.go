package podnet

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// ChainNoMasq is the nat chain that keeps pod-to-pod traffic unmasqueraded.
// Not RECONCILE-*: the proxy (agent/proxy) owns every chain of that prefix
// and would delete it as stale.
const ChainNoMasq = "RCN-PODNET"

// masqMark is the proxy's "masquerade this" mark (agent/proxy): packets
// carrying it still go on to the proxy's RECONCILE-POSTROUTING.
const masqMark = "0x4000"

const noMasqComment = "reconcile pod network: pods talk to pods by their own addresses"

// NoMasqueradeRules is the iptables-restore text (nat table, for
// --noflush) of the chain: traffic from a pod to a pod anywhere in the
// cluster CIDR leaves POSTROUTING unchanged, before Podman's netavark
// masquerades everything that leaves the node's subnet. So a pod on node B
// sees the address of the pod on node A that called it, as in Kubernetes.
// It is pure.
func NoMasqueradeRules(clusterCIDR string) (string, error) {
	p, err := netip.ParsePrefix(clusterCIDR)
	if err != nil {
		return "", fmt.Errorf("pod network: cluster CIDR %q: %w", clusterCIDR, err)
	}
	c := p.Masked().String()
	return fmt.Sprintf("*nat\n:%s - [0:0]\n-A %s -s %s -d %s -m mark ! --mark %s/%s -m comment --comment %q -j ACCEPT\nCOMMIT\n",
		ChainNoMasq, ChainNoMasq, c, c, masqMark, masqMark, noMasqComment), nil
}

// Iptables runs iptables and iptables-restore; Prefix (e.g. nsenter
// --net=/run/netns/NAME) lets tests work in a private namespace.
type Iptables struct{ Prefix []string }

func (ipt Iptables) run(ctx context.Context, stdin string, args ...string) error {
	cmd := append(append([]string{}, ipt.Prefix...), args...)
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	if stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(cmd, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

var jumpArgs = []string{"POSTROUTING", "-m", "comment", "--comment", noMasqComment, "-j", ChainNoMasq}

// EnsureNoMasquerade writes the chain (one iptables-restore --noflush: the
// chain is replaced whole, nothing else is touched) and makes POSTROUTING's
// first rule jump to it.
func (ipt Iptables) EnsureNoMasquerade(ctx context.Context, clusterCIDR string) error {
	rules, err := NoMasqueradeRules(clusterCIDR)
	if err != nil {
		return err
	}
	if err := ipt.run(ctx, rules, "iptables-restore", "--noflush"); err != nil {
		return fmt.Errorf("pod network: %w", err)
	}
	if ipt.run(ctx, "", append([]string{"iptables", "-t", "nat", "-C"}, jumpArgs...)...) == nil {
		return nil
	}
	if err := ipt.run(ctx, "", append([]string{"iptables", "-t", "nat", "-I", jumpArgs[0], "1"}, jumpArgs[1:]...)...); err != nil {
		return fmt.Errorf("pod network: %w", err)
	}
	return nil
}

// RemoveNoMasquerade deletes the jump and the chain (agent --cleanup);
// what is already gone is not an error.
func (ipt Iptables) RemoveNoMasquerade(ctx context.Context) error {
	for ipt.run(ctx, "", append([]string{"iptables", "-t", "nat", "-D"}, jumpArgs...)...) == nil {
	}
	ipt.run(ctx, "", "iptables", "-t", "nat", "-F", ChainNoMasq)
	ipt.run(ctx, "", "iptables", "-t", "nat", "-X", ChainNoMasq)
	if ipt.run(ctx, "", "iptables", "-t", "nat", "-S", ChainNoMasq) == nil {
		return fmt.Errorf("pod network: chain %s is still there after cleanup", ChainNoMasq)
	}
	return nil
}
