package podnet

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/reconcile-dev/reconcile/agent/proxy"
)

// ChainNoMasq is the nat chain that keeps pod-to-pod traffic unmasqueraded.
// Not RECONCILE-*: the proxy (agent/proxy) owns every chain of that prefix
// and would delete it as stale.
const ChainNoMasq = "RCN-PODNET"

const noMasqComment = "reconcile pod network: pods talk to pods by their own addresses"

// noMasqJump is the rule that sends POSTROUTING to the chain, first.
var noMasqJump = proxy.Hook{Table: proxy.TableNAT, Chain: "POSTROUTING",
	Rule: fmt.Sprintf("-m comment --comment %q -j %s", noMasqComment, ChainNoMasq)}

// NoMasqueradeRules is the iptables-restore text (nat table, for
// --noflush) of the chain: traffic from a pod to a pod anywhere in the
// cluster CIDR leaves POSTROUTING unchanged, before Podman's netavark
// masquerades everything that leaves the node's subnet. So a pod on node B
// sees the address of the pod on node A that called it, as in Kubernetes.
// Packets the proxy marked for masquerade (proxy.MasqMark: hairpin, a
// NodePort) go on to its RECONCILE-POSTROUTING. It is pure.
func NoMasqueradeRules(clusterCIDR string) (string, error) {
	return noMasqueradeText(clusterCIDR, false)
}

func noMasqueradeText(clusterCIDR string, withJump bool) (string, error) {
	p, err := netip.ParsePrefix(clusterCIDR)
	if err != nil {
		return "", fmt.Errorf("pod network: cluster CIDR %q: %w (write a prefix such as 10.244.0.0/16)", clusterCIDR, err)
	}
	c := p.Masked().String()
	text := fmt.Sprintf("*nat\n:%s - [0:0]\n-A %s -s %s -d %s -m mark ! --mark %s/%s -m comment --comment %q -j ACCEPT\n",
		ChainNoMasq, ChainNoMasq, c, c, proxy.MasqMark, proxy.MasqMark, noMasqComment)
	if withJump {
		text += "-I " + noMasqJump.Chain + " 1 " + noMasqJump.Rule + "\n"
	}
	return text + "COMMIT\n", nil
}

// Masquerade writes the chain with the node's iptables runner: the
// proxy's (proxy.NewExec for the agent's --iptables-backend, so both write
// to the same kernel tables), or proxy.NewFake in tests.
type Masquerade struct{ IPTables proxy.IPTables }

// EnsureNoMasquerade writes the chain and, when POSTROUTING does not
// jump to it yet, the jump as POSTROUTING's first rule, in one
// iptables-restore --noflush: the chain is replaced whole, nothing else is
// touched.
func (m Masquerade) EnsureNoMasquerade(ctx context.Context, clusterCIDR string) error {
	present, err := m.IPTables.HasHook(ctx, noMasqJump)
	if err != nil {
		return fmt.Errorf("pod network: %w", err)
	}
	text, err := noMasqueradeText(clusterCIDR, !present)
	if err != nil {
		return err
	}
	if err := m.IPTables.Restore(ctx, []byte(text)); err != nil {
		return fmt.Errorf("pod network: writing nat chain %s: %w", ChainNoMasq, err)
	}
	return nil
}

// maxJumps bounds the jumps RemoveNoMasquerade deletes: more are not ours
// to chase (something keeps adding them).
const maxJumps = 16

// RemoveNoMasquerade deletes the jumps (an agent of an older version may
// have left more than one) and the chain (agent --cleanup); what is
// already gone is not an error.
func (m Masquerade) RemoveNoMasquerade(ctx context.Context) error {
	for i := 0; ; i++ {
		present, err := m.IPTables.HasHook(ctx, noMasqJump)
		if err != nil {
			return fmt.Errorf("pod network: %w", err)
		}
		if !present {
			break
		}
		if i == maxJumps {
			return fmt.Errorf("pod network: POSTROUTING still jumps to %s after %d deletions; is another process adding the rule?", ChainNoMasq, maxJumps)
		}
		if err := m.IPTables.Restore(ctx, []byte("*nat\n-D "+noMasqJump.Chain+" "+noMasqJump.Rule+"\nCOMMIT\n")); err != nil {
			return fmt.Errorf("pod network: removing the jump to %s: %w", ChainNoMasq, err)
		}
	}
	// Declaring flushes (or makes) the chain, so -X succeeds either way.
	if err := m.IPTables.Restore(ctx, []byte(fmt.Sprintf("*nat\n:%s - [0:0]\n-X %s\nCOMMIT\n", ChainNoMasq, ChainNoMasq))); err != nil {
		return fmt.Errorf("pod network: removing nat chain %s: %w", ChainNoMasq, err)
	}
	return nil
}
