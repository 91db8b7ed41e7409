package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// proxyFlags configure the node's service proxy (agent/proxy).
type proxyFlags struct {
	enabled, keepRules, cleanup bool
	clusterCIDR, backend        string
	// nodePodCIDR is this node's pod subnet once the pod network is up:
	// only its endpoints need hairpin rules, which halves the rules.
	nodePodCIDR string
}

func (f *proxyFlags) register(cmd *cobra.Command, withCleanup bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.enabled, "proxy", true, "program this node's iptables nat rules for Services (ClusterIP, NodePort) in chains named RECONCILE-*")
	fl.BoolVar(&f.keepRules, "keep-service-rules", false, "leave the service rules in the kernel when the agent stops (Services keep working across an agent restart); by default they are removed on exit")
	fl.StringVar(&f.clusterCIDR, "cluster-cidr", "", "pod address range of the cluster, e.g. 10.244.0.0/16: traffic to a ClusterIP from outside it is masqueraded (optional)")
	fl.StringVar(&f.backend, "iptables-backend", "", `iptables tools to use: "" (iptables-restore as installed), "nft" or "legacy" (iptables-legacy-*: a full sync of 10,000 services is ~4x faster, a one-service change ~5x slower; do not mix with Podman's netavark rules unless you know both are fine)`)
	if withCleanup {
		fl.BoolVar(&f.cleanup, "cleanup", false, "remove this node's service rules (the RECONCILE-* chains and the jumps to them) and exit")
	}
}

// startProxy runs the service proxy until ctx ends; the returned stop
// waits for it and, unless --keep-service-rules, removes its rules.
func startProxy(ctx context.Context, f proxyFlags, cp agent.ControlPlane, log *slog.Logger) (stop func(), err error) {
	if !f.enabled {
		return func() {}, nil
	}
	if f.clusterCIDR != "" {
		if _, err := netip.ParsePrefix(f.clusterCIDR); err != nil {
			return nil, fmt.Errorf("--cluster-cidr %q: %v (write a prefix such as 10.244.0.0/16)", f.clusterCIDR, err)
		}
	}
	acp, ok := cp.(apiclient.ControlPlane)
	if !ok {
		return nil, fmt.Errorf("service proxy: needs the HTTP control plane (got %T); pass --proxy=false to run without it", cp)
	}
	ipt, err := iptablesFor(f.backend)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	// The cache follows the watch, so a sync does not list every Service.
	p := &proxy.Proxier{Source: apiclient.NewServiceCache(ctx, acp.Client), IPTables: ipt,
		Options: proxy.Options{ClusterCIDR: f.clusterCIDR, NodePodCIDR: f.nodePodCIDR}, Log: log}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
		if f.keepRules {
			return
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if err := proxy.Cleanup(cctx, ipt); err != nil {
			log.Error("removing the service rules failed; run `reconcile agent --cleanup`", "err", err)
		}
	}, nil
}

// iptablesFor picks the iptables tools of a backend.
func iptablesFor(backend string) (proxy.Exec, error) {
	switch backend {
	case "":
		return proxy.Exec{}, nil
	case "nft", "legacy":
		return proxy.Exec{RestoreBin: "iptables-" + backend + "-restore", SaveBin: "iptables-" + backend + "-save", Bin: "iptables-" + backend}, nil
	}
	return proxy.Exec{}, fmt.Errorf(`--iptables-backend %q: use "", "nft" or "legacy"`, backend)
}

// cleanupProxy is `reconcile agent --cleanup`.
func cleanupProxy(ctx context.Context, backend string) error {
	ipt, err := iptablesFor(backend)
	if err != nil {
		return err
	}
	if err := proxy.Cleanup(ctx, ipt); err != nil {
		return fmt.Errorf("remove the service rules: %w (needs root and iptables)", err)
	}
	return nil
}
