package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/discovery"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/nodeipam"
)

// podNetFlags configure the node's pod network and DNS.
type podNetFlags struct {
	network, domain, nodeIP, resolvConf string
}

func (f *podNetFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.network, "pod-network", podnet.DefaultNetwork, "Podman network the node's pods join, made with the node's podCIDR; the agent's DNS server listens on its gateway (\"\": Podman's default network, no cluster DNS, no routes to other nodes)")
	fl.StringVar(&f.domain, "cluster-domain", discovery.DefaultDomain, "DNS domain of services: name.namespace.svc.DOMAIN")
	fl.StringVar(&f.nodeIP, "node-ip", "", "this node's InternalIP, where other nodes route its pods' traffic (default: the first global IPv4 address)")
	fl.StringVar(&f.resolvConf, "resolv-conf", "/etc/resolv.conf", "resolvers the DNS server forwards names outside the cluster domain to")
}

// startPodNetwork readies the node's pod network before the agent starts
// pods: it registers the node, waits for its podCIDR, makes the Podman
// network, starts the DNS server on its gateway, service discovery and the
// routes to the other nodes, and sets the agent options that use them.
// The goroutines it starts end with ctx.
func startPodNetwork(ctx context.Context, agentF *agentFlags, cp agent.ControlPlane, podmanURI string, opts *agent.Options, log *slog.Logger) error {
	f := &agentF.net
	if f.nodeIP != "" {
		h := agent.ReadHostInfo()
		h.IP = f.nodeIP
		opts.Host = &h
	}
	if f.network == "" {
		return nil
	}
	acp, ok := cp.(apiclient.ControlPlane)
	if !ok {
		return fmt.Errorf("pod network: needs the HTTP control plane (got %T); pass --pod-network= to run without it", cp)
	}
	nodes := apiclient.Nodes{Client: acp.Client}
	// Register now (the agent registers again as it starts): the
	// controller assigns the podCIDR at registration.
	host := agent.ReadHostInfo()
	if opts.Host != nil {
		host = *opts.Host
	}
	for {
		err := cp.RegisterNode(ctx, agent.NodeObject(agentF.node, host, "", time.Now()))
		if err == nil {
			break
		}
		log.Warn("pod network: registering the node failed; retrying in 1s", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	cidr, err := podnet.PodCIDR(ctx, nodes, agentF.node, log)
	if err != nil {
		return err
	}
	if err := podnet.EnableForwarding(); err != nil {
		return err
	}
	gw, err := podnet.EnsureNetwork(ctx, podmanURI, f.network, cidr)
	if err != nil {
		// Pods still run, on Podman's default network: a node that runs
		// its pods without cluster DNS beats a node that runs none.
		log.Error("pod network unavailable: pods use Podman's default network without cluster DNS or routes to other nodes; fix the cause and restart the agent (or pass --pod-network= to silence this)", "err", err)
		return nil
	}
	clusterCIDR := agentF.proxy.clusterCIDR
	if clusterCIDR == "" {
		clusterCIDR = nodeipam.DefaultClusterCIDR
	}
	if err := (podnet.Iptables{}).EnsureNoMasquerade(ctx, clusterCIDR); err != nil {
		log.Warn("pod network: traffic to pods on other nodes will be masqueraded to this node's address", "err", err)
	}
	upstreams, err := discovery.Upstreams(f.resolvConf, gw.String())
	if err != nil {
		log.Warn("dns: names outside the cluster domain will fail", "err", err)
	}
	srv := discovery.NewServer(f.domain, upstreams, log)
	go srv.Run(ctx, discovery.Addr(gw.String()))
	disc := discovery.New(apiclient.Services{Client: acp.Client}, srv, f.domain, log)
	disc.ListServices = func(ctx context.Context, ns string) ([]*corev1.Service, error) {
		items, _, err := acp.Client.List(ctx, "Service", ns, nil)
		svcs := make([]*corev1.Service, 0, len(items))
		for _, o := range items {
			svcs = append(svcs, o.(*corev1.Service))
		}
		return svcs, err
	}
	go disc.Run(ctx)
	go podnet.KeepRoutes(ctx, nodes, podnet.IPRoute{}, agentF.node, log)
	opts.Network = f.network
	agentF.proxy.nodePodCIDR = cidr
	opts.DNS = &agent.PodDNS{Server: gw.String(), ClusterDomain: f.domain}
	opts.ServiceEnv = disc.ServiceEnv
	log.Info("pod network ready", "network", f.network, "podCIDR", cidr, "dns", discovery.Addr(gw.String()), "upstreams", upstreams)
	return nil
}

// cleanupPodNetwork is the pod network's part of `reconcile agent
// --cleanup`: the RCN-PODNET chain and the routes to other nodes (protocol
// 147). The Podman network stays: pods may still use it.
func cleanupPodNetwork(ctx context.Context) error {
	if err := (podnet.Iptables{}).RemoveNoMasquerade(ctx); err != nil {
		return err
	}
	if err := podnet.SyncRoutes(ctx, podnet.IPRoute{}, nil); err != nil {
		return fmt.Errorf("remove the routes to other nodes: %w", err)
	}
	return nil
}
