package agentcmd

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clusternet"
)

// proxyFlags configure the node's service proxy (agent/proxy).
type proxyFlags struct {
	enabled, keepRules, cleanup       bool
	clusterCIDR, serviceCIDR, backend string
	mode                              string
}

func (f *proxyFlags) register(cmd *cobra.Command, withCleanup bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.enabled, "proxy", true, "program this node's iptables nat rules for Services (ClusterIP, NodePort, LoadBalancer) in chains named RECONCILE-*")
	fl.BoolVar(&f.keepRules, "keep-service-rules", true, "leave the service rules in the kernel when the agent stops, as kube-proxy does: ClusterIPs keep answering while the pods run and the agent restarts (false: remove them on exit, as reconcile agent --cleanup does)")
	if fl.Lookup("cluster-cidr") == nil { // `up`: the controller's flag, copied here when given (up.go)
		fl.StringVar(&f.clusterCIDR, "cluster-cidr", "", "pod address range of the cluster, e.g. 10.244.0.0/16: traffic to a ClusterIP from outside it is masqueraded (optional)")
	}
	fl.StringVar(&f.serviceCIDR, "service-cidr", clusternet.DefaultServiceCIDR, "range ClusterIPs are allocated from: a connection to an address in it that no service rule takes is rejected instead of leaving by the default route (\"\": no such rule)")
	fl.StringVar(&f.mode, "proxy-mode", string(proxy.ModeIPTables), `how the service rules are written: "iptables" (chains RECONCILE-* in the nat and filter tables, one iptables-restore per sync) or "nftables" (table ip reconcile with verdict maps, kube-proxy's nftables layout, written over netlink: a change touches only its service's chains and map elements). Switching removes the other mode's rules`)
	fl.StringVar(&f.backend, "iptables-backend", "", `iptables tools to use for the service rules and the pod network's: "" (iptables-restore as installed), "nft" or "legacy" (iptables-legacy-*: a full sync of 10,000 services is ~4x faster, a one-service change ~5x slower; do not mix with Podman's netavark rules unless you know both are fine)`)
	if withCleanup {
		fl.BoolVar(&f.cleanup, "cleanup", false, "remove this node's service rules (the RECONCILE-* chains and the jumps to them, and the nftables table ip reconcile, whatever --proxy-mode) and the pod network's (chain RCN-PODNET, routes to other nodes), and exit")
	}
}

// iptables is the node's iptables runner for the backend flag: the proxy
// and the pod network write with the same one.
func (f proxyFlags) iptables() (proxy.Exec, error) {
	ipt, err := proxy.NewExec(f.backend)
	if err != nil {
		return ipt, fmt.Errorf("--iptables-backend: %w", err)
	}
	return ipt, nil
}

// startProxy runs the service proxy until ctx ends; the returned stop
// waits for it and, with --keep-service-rules=false, removes its rules.
// nodePodCIDR is this node's pod subnet when its pods are on it (only
// their endpoints need hairpin rules); nodeName picks the local endpoints
// of traffic policies Local.
func startProxy(ctx context.Context, f proxyFlags, cp agent.ControlPlane, ipt proxy.IPTables, nodeName, nodePodCIDR string, onSync func(proxy.SyncStats, error), log *slog.Logger) (stop func(), err error) {
	if !f.enabled {
		return func() {}, nil
	}
	for flag, v := range map[string]string{"--cluster-cidr": f.clusterCIDR, "--service-cidr": f.serviceCIDR} {
		if _, err := netip.ParsePrefix(v); v != "" && err != nil {
			return nil, fmt.Errorf("%s %q: %v (write a prefix such as 10.244.0.0/16)", flag, v, err)
		}
	}
	mode := proxy.Mode(f.mode)
	var nft proxy.NFTWriter
	switch mode {
	case proxy.ModeNFTables:
		var err error
		if nft, err = proxy.NewNFTables(); err != nil {
			return nil, fmt.Errorf("--proxy-mode nftables: %w (needs a kernel with nf_tables, or use --proxy-mode iptables)", err)
		}
	case proxy.ModeIPTables:
		nft, _ = proxy.NewNFTables() // only to remove a table left by the nftables mode
	default:
		return nil, fmt.Errorf("--proxy-mode %q: want iptables or nftables", f.mode)
	}
	acp, ok := cp.(apiclient.ControlPlane)
	if !ok {
		return nil, fmt.Errorf("service proxy: needs the HTTP control plane (got %T); pass --proxy=false to run without it", cp)
	}
	// The cache follows the watch, so a sync does not list every Service.
	p := &proxy.Proxier{Source: apiclient.NewServiceCache(ctx, acp.Client), IPTables: ipt, Mode: mode, NFTables: nft,
		Options: proxy.Options{ClusterCIDR: f.clusterCIDR, NodePodCIDR: nodePodCIDR, ServiceCIDR: f.serviceCIDR, NodeName: nodeName}, Log: log,
		HealthServer: &proxy.HealthServer{Log: log}, // healthCheckNodePorts, as kube-proxy's service health server
		OnSync:       onSync}
	stopProxier := p.Start(ctx, !f.keepRules)
	return func() {
		if err := stopProxier(); err != nil {
			log.Error("service proxy", "err", err)
		} else if f.keepRules {
			log.Info("service rules left in place (as kube-proxy); `reconcile agent --cleanup` removes them")
		}
	}, nil
}

// cleanupProxy is the proxy's part of `reconcile agent --cleanup`.
func cleanupProxy(ctx context.Context, ipt proxy.IPTables) error {
	if err := proxy.Cleanup(ctx, ipt); err != nil {
		return fmt.Errorf("remove the service rules: %w (needs root and iptables)", err)
	}
	// The nftables mode's table, whichever mode is set.
	if nft, err := proxy.NewNFTables(); err == nil {
		if err := proxy.CleanupNFT(ctx, nft); err != nil {
			return fmt.Errorf("remove the service rules: table ip %s: %w (needs root)", proxy.NFTTable, err)
		}
	}
	return nil
}
