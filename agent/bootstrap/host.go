package bootstrap

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/reconcile-dev/reconcile/agent/discovery"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/agent/proxy"
)

// PodmanHost is the real Host: the Podman service at PodmanURI, the
// kernel's routes, neighbours and VXLAN device (netlink) and the node's
// iptables runner, the proxy's (proxy.NewExec for --iptables-backend).
type PodmanHost struct {
	PodmanURI string
	IPTables  proxy.IPTables
	*podnet.Netlink
}

// EnableForwarding turns on IPv4 forwarding.
func (PodmanHost) EnableForwarding() error { return podnet.EnableForwarding() }

// EnsureNetwork makes the Podman network (podnet.EnsureNetwork).
func (h PodmanHost) EnsureNetwork(ctx context.Context, name, podCIDR string, mtu int) (netip.Addr, error) {
	return podnet.EnsureNetwork(ctx, h.PodmanURI, name, podCIDR, mtu)
}

// EnsureNoMasquerade writes the pod network's nat chain with IPTables.
func (h PodmanHost) EnsureNoMasquerade(ctx context.Context, clusterCIDR string) error {
	return podnet.Masquerade{IPTables: h.IPTables}.EnsureNoMasquerade(ctx, clusterCIDR)
}

// ServeDNS runs srv on addr until ctx ends (discovery.Server.Run).
func (PodmanHost) ServeDNS(ctx context.Context, srv *discovery.Server, addr string) {
	srv.Run(ctx, addr)
}

// Kernel is what Cleanup removes from the kernel: the routes to other
// nodes and the VXLAN device (*podnet.Netlink).
type Kernel interface {
	podnet.RouteTable
	RemoveVXLAN(ctx context.Context) error
}

// Cleanup is the pod network's part of `reconcile agent --cleanup`: the
// RCN-PODNET chain (with ipt, the proxy's runner), the routes to other
// nodes (protocol 147) and the VXLAN device with its neighbour and FDB
// entries. The Podman network stays: pods may still use it.
func Cleanup(ctx context.Context, ipt proxy.IPTables, k Kernel) error {
	if err := (podnet.Masquerade{IPTables: ipt}).RemoveNoMasquerade(ctx); err != nil {
		return err
	}
	if err := podnet.SyncRoutes(ctx, k, nil); err != nil {
		return fmt.Errorf("remove the routes to other nodes: %w", err)
	}
	if err := k.RemoveVXLAN(ctx); err != nil {
		return fmt.Errorf("remove the VXLAN device: %w", err)
	}
	return nil
}
