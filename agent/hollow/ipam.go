package hollow

import (
	"fmt"
	"net/netip"
)

// freeAddr is the first address of the pod subnet that is neither the
// network address, the gateway (the first host, the node's bridge on a
// real node: nodeipam.Gateway), the broadcast address nor used. It is pure.
func freeAddr(cidr netip.Prefix, used map[netip.Addr]bool) (netip.Addr, error) {
	cidr = cidr.Masked()
	if !cidr.Addr().Is4() || cidr.Bits() > 30 {
		return netip.Addr{}, fmt.Errorf("pod CIDR %s: a simulated node needs an IPv4 subnet of at least 4 addresses", cidr)
	}
	a := cidr.Addr().Next().Next() // skip the network address and the gateway
	for ; cidr.Contains(a) && cidr.Contains(a.Next()); a = a.Next() {
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s is full (%d pods): give the controller a smaller --node-cidr-mask-size", cidr, len(used))
}
