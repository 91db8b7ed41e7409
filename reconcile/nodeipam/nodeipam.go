package nodeipam

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/clusternet"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// Defaults as in kubeadm with flannel: a /16 cluster CIDR, a /24 per node
// (package clusternet, which the agent reads without this package).
const (
	DefaultClusterCIDR = clusternet.DefaultClusterCIDR
	DefaultNodeMask    = clusternet.DefaultNodeMask
)

// MetaKey is the store meta record holding the allocations.
const MetaKey = "nodeipam/podcidrs"

// Config is the cluster CIDR and the size of each node's subnet; zero
// values mean the defaults.
type Config struct {
	ClusterCIDR string
	NodeMask    int
}

// Validate says whether c is usable (the controller checks its flags at
// start rather than at the first node's registration), and how many
// node subnets it holds.
func (c Config) Validate() (nodes uint64, err error) {
	p, bits, err := c.parse()
	if err != nil {
		return 0, err
	}
	return 1 << (bits - p.Bits()), nil
}

// Holds says whether podCIDR is a node subnet of this configuration (in
// the cluster CIDR, of the node mask): a registered node that has one
// keeps it without Assign reading and rewriting the record of every
// node's subnet (a status post every 5 min per node). It is pure.
func (c Config) Holds(podCIDR string) bool {
	cluster, bits, err := c.parse()
	if err != nil {
		return false
	}
	p, err := netip.ParsePrefix(podCIDR)
	return err == nil && p.Bits() == bits && p.Masked() == p && cluster.Contains(p.Addr())
}

func (c Config) parse() (netip.Prefix, int, error) {
	cidr, bits := c.ClusterCIDR, c.NodeMask
	if cidr == "" {
		cidr = DefaultClusterCIDR
	}
	if bits == 0 {
		bits = DefaultNodeMask
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, 0, fmt.Errorf("pod network: cluster CIDR %q is not an IPv4 prefix like 10.244.0.0/16", cidr)
	}
	if bits < p.Bits() || bits > 30 {
		return netip.Prefix{}, 0, fmt.Errorf("pod network: node subnet size /%d must lie between the cluster CIDR's /%d and /30", bits, p.Bits())
	}
	return p.Masked(), bits, nil
}

// Allocate returns node's subnet: the one in taken (node → subnet) if it has
// one, else the lowest subnet of size /bits in cluster that no other node
// holds. It is pure.
func Allocate(cluster netip.Prefix, bits int, taken map[string]string, node string) (netip.Prefix, error) {
	if s, ok := taken[node]; ok {
		if p, err := netip.ParsePrefix(s); err == nil && cluster.Contains(p.Addr()) && p.Bits() == bits {
			return p, nil
		}
		// A subnet from another configuration (the cluster CIDR changed): allocate anew.
	}
	used := map[netip.Prefix]bool{}
	for n, s := range taken {
		if p, err := netip.ParsePrefix(s); err == nil && n != node {
			used[p.Masked()] = true
		}
	}
	count := 1 << (bits - cluster.Bits())
	step := uint32(1) << (32 - bits)
	base := cluster.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	for i := 0; i < count; i++ {
		v := start + uint32(i)*step
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
		if !used[p] {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("pod network: all %d node subnets of %s are taken (%d nodes); use a larger cluster CIDR or a smaller node subnet", count, cluster, len(taken))
}

// Assign sets node.spec.podCIDR(s) inside tx, allocating and recording a
// subnet the first time the node is seen. Call it on the Node about to be
// created or updated.
func Assign(tx *store.Tx, node *corev1.Node, cfg Config) error {
	cluster, bits, err := cfg.parse()
	if err != nil {
		return err
	}
	taken := map[string]string{}
	if _, err := tx.GetMeta(MetaKey, &taken); err != nil {
		return fmt.Errorf("pod network: reading %s: %w", MetaKey, err)
	}
	p, err := Allocate(cluster, bits, taken, node.Name)
	if err != nil {
		return err
	}
	if taken[node.Name] != p.String() {
		taken[node.Name] = p.String()
		if err := tx.PutMeta(MetaKey, taken); err != nil {
			return fmt.Errorf("pod network: recording %s: %w", MetaKey, err)
		}
	}
	node.Spec.PodCIDR = p.String()
	node.Spec.PodCIDRs = []string{p.String()}
	return nil
}

// Gateway is the first address of a pod subnet: the node's bridge address,
// the pods' default gateway and where the agent's DNS server listens.
func Gateway(podCIDR string) (netip.Addr, error) {
	p, err := netip.ParsePrefix(podCIDR)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("pod CIDR %q: %w", podCIDR, err)
	}
	return p.Masked().Addr().Next(), nil
}
