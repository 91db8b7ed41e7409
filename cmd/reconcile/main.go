// Command reconcile is the one binary of the product: the controller, the
// node agent, the all-in-one `up`, and the CLI that talks to them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent/agentcmd"
)

// exitError carries an exit code other than 1 (e.g. diff --exit-code's 2).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "reconcile:", ee.err)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "reconcile:", err)
	os.Exit(1)
}

// globalFlags are the flags every client command shares.
type globalFlags struct {
	configFile string
	server     string
	tokenFile  string
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "reconcile",
		Short: "A declarative GitOps container orchestrator: desired state in git, containers in Podman",
		Long: `reconcile keeps Kubernetes-style objects from a git repository running as Podman containers.

Commit a change to the desired-state repo and the containers follow; see what a change will do with
'reconcile diff' before it merges.

Start everything on one machine with 'reconcile up --repo PATH'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.configFile, "config-file", "", "client config with the controller's URL and credentials (default $RECONCILE_CONFIG, then ~/.config/reconcile/config, which reconcile up writes)")
	root.PersistentFlags().StringVar(&g.server, "server", "", "controller URL, overriding the client config's and keeping its CA; several, comma-separated, for a control plane of several servers (the client moves to the next when one cannot be reached) (default $RECONCILE_SERVER, then the client config's, then https://127.0.0.1:7420)")
	root.PersistentFlags().StringVar(&g.tokenFile, "token-file", "", "file holding the controller's bearer token, overriding the client config's (default $RECONCILE_TOKEN)")
	root.AddCommand(
		newUpCmd(),
		newControllerCmd(),
		agentcmd.NewAgentCmd(adminConnect), // agent/agentcmd, shared with cmd/reconcile-agent
		newValidateCmd(),
		newDiffCmd(g),
		newGetCmd(g),
		newSecretCmd(g),
		newStatusCmd(g),
		newSyncCmd(g), newHistoryCmd(g), newRollbackCmd(g),
		newDescribeCmd(g), newEventsCmd(g),
		newRolloutCmd(g),
		newLogsCmd(g),
		newTopCmd(g),                                    // top.go
		newUserCmd(g), withNodeDelete(newNodeCmd(g), g), // node.go
		agentcmd.NewJoinCmd(), newTokenCmd(g), // agent/agentcmd, token.go
		newServerCmd(g),     // servers.go
		newKubeconfigCmd(g), // kubeconfig.go
		newUICmd(g),         // ui.go
		newBenchCmd(),       // bench.go
		newSnapshotCmd(g),   // snapshot.go
	)
	root.AddCommand(nodeCmds(g)...) // cordon, uncordon, drain (nodes.go)
	return root
}
