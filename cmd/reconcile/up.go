package main

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
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
			token, err := apiToken(cf.data)
			if err != nil {
				return err
			}
			// The local agent speaks HTTP to the API server like any remote
			// agent: one code path, tested once.
			cp := apiclient.ControlPlane{Client: apiclient.New(cf.listen, token)}
			af.logs.token = token
			return runController(cmd.Context(), cf, log, func(ctx context.Context) error {
				return runAgent(ctx, af, cp, log)
			})
		},
	}
	cf.register(cmd)
	af.register(cmd, false)
	return cmd
}
