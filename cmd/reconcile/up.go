package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent/agentcmd"
	"github.com/reconcile-dev/reconcile/agent/join"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
)

func newUpCmd() *cobra.Command {
	cf := &controllerFlags{}
	af := &agentcmd.Flags{}
	cmd := &cobra.Command{
		Use:   "up --repo PATH|URL",
		Short: "Run everything on this machine: the controller with its store and a local agent",
		Long: `Run the controller (git sync, validation, Badger store, controllers, scheduler, API server)
and a node agent for this machine in one process: the embedded default.

A local repo is watched: commit a change and the containers follow within about a second.`,
		Example: `  reconcile up --repo ./desired-state
  reconcile up --repo https://git.example.com/ops/desired.git --branch main --path prod --git-token-file ~/.token`,
		RunE: func(cmd *cobra.Command, args []string) error {
			log := newLogger()
			af.Data = filepath.Join(cf.data, "agent")
			if cmd.Flags().Changed("cluster-cidr") { // one flag for both parts (proxy.go)
				af.SetClusterCIDR(cf.clusterCIDR)
			}
			return runController(cmd.Context(), cf, log, func(ctx context.Context, p *credentials.ControllerPKI, nodes *nodecreds.Issuer, server string) error {
				if cf.plainHTTP { // TEST ONLY (the TLS cost benchmark): no TLS, the admin token instead of a certificate
					return runPlainLocalAgent(ctx, cf, af, p, server, log)
				}
				// The local agent joins like any other host (a one-use
				// token, its own key, a recorded and renewed certificate)
				// and speaks HTTPS to the API server: one code path.
				res, err := join.JoinLocal(ctx, nodes, join.Options{Server: server, Node: af.Node, Addresses: agentcmd.HostAddresses(af), DataDir: af.Data, Log: log})
				if err != nil {
					return err
				}
				return agentcmd.RunNodeAgent(ctx, af, res.Path, server, false, log)
			})
		},
	}
	cf.register(cmd)
	af.Register(cmd, false)
	return cmd
}

// runPlainLocalAgent runs up's agent against the plain-HTTP API of the
// TLS cost benchmark (--insecure-plain-http, loopback only).
func runPlainLocalAgent(ctx context.Context, cf *controllerFlags, af *agentcmd.Flags, p *credentials.ControllerPKI, server string, log *slog.Logger) error {
	ncfg, err := p.NodeConfig(server, af.Node, nil)
	if err != nil {
		return err
	}
	if ncfg.Token, err = apiToken(cf.data); err != nil {
		return err
	}
	client, err := newClient(ncfg)
	if err != nil {
		return err
	}
	logTLS, err := credentials.AgentLogTLS(ncfg)
	if err != nil {
		return err
	}
	af.SetLogTLS(logTLS)
	return agentcmd.RunAgent(ctx, af, apiclient.ControlPlane{Client: client}, log)
}
