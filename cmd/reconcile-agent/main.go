// Command reconcile-agent is the node binary: `reconcile-agent join URL
// --token T` and `reconcile-agent agent --config-file F`, the same commands
// (package agent/agentcmd) as `reconcile join` and `reconcile agent`,
// without the controller, the store, CUE, the web UI or the CLI linked in,
// so that an agent's process holds only what a node needs (as Kubernetes
// ships the kubelet apart from the apiserver).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent/agentcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:   "reconcile-agent",
		Short: "The node agent of reconcile: join this host to a cluster and run its pods with Podman",
		Long: `reconcile-agent is the node's binary: the agent and join commands of 'reconcile', alone.
The controller and the CLI are in 'reconcile'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(agentcmd.NewAgentCmd(nil), agentcmd.NewJoinCmd())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "reconcile-agent:", err)
		os.Exit(1)
	}
}
