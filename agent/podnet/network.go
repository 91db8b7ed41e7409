package podnet

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	nettypes "github.com/containers/common/libnetwork/types"

	"github.com/reconcile-dev/reconcile/agent/libpod"
)

// DefaultNetwork is the Podman network pods join.
const DefaultNetwork = "reconcile"

// LabelNetwork marks the Podman network the agent made.
const LabelNetwork = "reconcile.network"

// EnsureNetwork makes the Podman network name a bridge with exactly subnet
// (gateway: its first address) and Podman's DNS off, on the Podman service
// at uri. A network of that name with another subnet (the node got a new
// podCIDR, e.g. after the controller's store was reset) is recreated when
// no container uses it, and is an error otherwise. mtu (0: Podman's
// default, the host's) is the pods' MTU: the overlay's when the node may
// send pod traffic through VXLAN. A network with another MTU is recreated
// when no container uses it and kept otherwise (its pods keep the old MTU
// until they are recreated). It returns the gateway.
func EnsureNetwork(ctx context.Context, uri, name, subnet string, mtu int) (netip.Addr, error) {
	p, err := netip.ParsePrefix(subnet)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("pod network: node podCIDR %q is not a CIDR: %w", subnet, err)
	}
	p = p.Masked()
	gw := p.Addr().Next()
	api, err := libpod.Connect(ctx, uri)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("pod network: connecting to Podman at %s: %w", uri, err)
	}
	exists, err := api.NetworkExists(ctx, name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("pod network: checking Podman network %s: %w", name, err)
	}
	if exists {
		cur, err := api.InspectNetwork(ctx, name)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("pod network: inspecting Podman network %s: %w", name, err)
		}
		if hasSubnet(cur, p, gw) && cur.Options["mtu"] == mtuOption(mtu) {
			return gw, nil
		}
		if err := api.RemoveNetwork(ctx, name); err != nil && hasSubnet(cur, p, gw) {
			return gw, nil // only the MTU differs and pods use it: keep it
		} else if err != nil {
			return netip.Addr{}, fmt.Errorf("pod network: Podman network %s has subnet %s, the node's podCIDR is %s, and it cannot be removed (%v); remove its pods or the network (podman network rm %s)",
				name, subnetsOf(cur), p, err, name)
		}
	}
	_, ipn, _ := net.ParseCIDR(p.String())
	nw := &nettypes.Network{Name: name, Driver: "bridge", DNSEnabled: false, Labels: map[string]string{LabelNetwork: "pod"},
		Subnets: []nettypes.Subnet{{Subnet: nettypes.IPNet{IPNet: *ipn}, Gateway: net.IP(gw.AsSlice())}}}
	if mtu > 0 {
		nw.Options = map[string]string{"mtu": mtuOption(mtu)}
	}
	if err := api.CreateNetwork(ctx, nw); err != nil {
		return netip.Addr{}, fmt.Errorf("pod network: creating Podman network %s with subnet %s: %w", name, p, err)
	}
	return gw, nil
}

// mtuOption is the bridge driver's "mtu" option for mtu ("" for 0).
func mtuOption(mtu int) string {
	if mtu <= 0 {
		return ""
	}
	return strconv.Itoa(mtu)
}

func hasSubnet(n nettypes.Network, p netip.Prefix, gw netip.Addr) bool {
	for _, s := range n.Subnets {
		got, ok := netip.AddrFromSlice(s.Subnet.IP.To4())
		ones, _ := s.Subnet.Mask.Size()
		g, _ := netip.AddrFromSlice(s.Gateway.To4())
		if ok && netip.PrefixFrom(got, ones) == p && g == gw {
			return true
		}
	}
	return false
}

func subnetsOf(n nettypes.Network) string {
	out := ""
	for i, s := range n.Subnets {
		if i > 0 {
			out += ","
		}
		out += s.Subnet.String()
	}
	return out
}
