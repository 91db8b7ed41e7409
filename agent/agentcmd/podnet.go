package agentcmd

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/bootstrap"
	"github.com/reconcile-dev/reconcile/agent/discovery"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clusternet"
)

// podNetFlags configure the node's pod network and DNS.
type podNetFlags struct {
	network, domain, nodeIP, resolvConf string
	backend                             string // the agent's override of the cluster's backend
}

// register adds the flags; lone (the agent command, not `up`, where the
// controller's --pod-network-backend is the one) adds the backend override.
func (f *podNetFlags) register(cmd *cobra.Command, lone bool) {
	fl := cmd.Flags()
	if lone {
		fl.StringVar(&f.backend, "pod-network-backend", "", "override the cluster's pod network backend on this node (host-gw, vxlan, auto; default: the controller's --pod-network-backend, from GET /api/v1/cluster)")
	}
	fl.StringVar(&f.network, "pod-network", podnet.DefaultNetwork, "Podman network the node's pods join, made with the node's podCIDR; the agent's DNS server listens on its gateway (\"\": Podman's default network, no cluster DNS, no routes to other nodes)")
	fl.StringVar(&f.domain, "cluster-domain", discovery.DefaultDomain, "DNS domain of services: name.namespace.svc.DOMAIN")
	fl.StringVar(&f.nodeIP, "node-ip", "", "this node's InternalIP, where other nodes route its pods' traffic (default: the first global IPv4 address)")
	fl.StringVar(&f.resolvConf, "resolv-conf", "/etc/resolv.conf", "resolvers the DNS server forwards names outside the cluster domain to")
}

// startPodNetwork wires the flags to bootstrap.Start (package
// agent/bootstrap), which readies the pod network before the agent runs
// pods; ipt is the node's iptables runner, the proxy's.
func startPodNetwork(ctx context.Context, f *Flags, cp agent.ControlPlane, podmanURI string, ipt proxy.IPTables, log *slog.Logger) (bootstrap.Result, error) {
	o := bootstrap.Options{NodeName: f.Node, NodeIP: f.net.nodeIP, Network: f.net.network,
		ClusterCIDR:   cmp.Or(f.proxy.clusterCIDR, clusternet.DefaultClusterCIDR),
		ClusterDomain: f.net.domain, ResolvConf: f.net.resolvConf, Backend: podnet.Backend(f.net.backend),
		Registrar: cp, Host: bootstrap.PodmanHost{PodmanURI: podmanURI, IPTables: ipt, Netlink: &podnet.Netlink{}}, Log: log}
	if o.Network != "" {
		acp, ok := cp.(apiclient.ControlPlane)
		if !ok {
			return bootstrap.Result{}, fmt.Errorf("pod network: needs the HTTP control plane (got %T); pass --pod-network= to run without it", cp)
		}
		o.Nodes = apiclient.Nodes{Client: acp.Client}
		o.ClusterBackend = acp.Client.PodNetworkBackend
		o.Services = apiclient.Services{Client: acp.Client}
		o.ListServices = func(ctx context.Context, ns string) ([]*corev1.Service, error) {
			items, _, err := acp.Client.List(ctx, "Service", ns, nil)
			svcs := make([]*corev1.Service, 0, len(items))
			for _, o := range items {
				svcs = append(svcs, o.(*corev1.Service))
			}
			return svcs, err
		}
	}
	return bootstrap.Start(ctx, o)
}
