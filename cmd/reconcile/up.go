package main

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
)

func newUpCmd() *cobra.Command {
	cf := &controllerFlags{}
	af := &agentFlags{}
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
			af.data = filepath.Join(cf.data, "agent")
			return runController(cmd.Context(), cf, log, func(ctx context.Context, p *credentials.ControllerPKI, server string) error {
				// The local agent speaks HTTPS to the API server like any
				// remote agent, with its own node certificate (DATA/pki/node-NAME.*):
				// one code path, tested once.
				ncfg, err := p.NodeConfig(server, af.node, nil)
				if err != nil {
					return err
				}
				if cf.plainHTTP { // TEST ONLY (the TLS cost benchmark): no TLS, no certificate to authenticate by
					if ncfg.Token, err = apiToken(cf.data); err != nil {
						return err
					}
				}
				client, err := newClient(ncfg)
				if err != nil {
					return err
				}
				if af.logs.tls, err = credentials.AgentLogTLS(ncfg); err != nil {
					return err
				}
				return runAgent(ctx, af, apiclient.ControlPlane{Client: client}, log)
			})
		},
	}
	cf.register(cmd)
	af.register(cmd, false)
	return cmd
}
