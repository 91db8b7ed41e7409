package main

import (
	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/metrics/promkit"
)

// defaultControllerMetrics is the controller's metrics address (as
// controller-runtime's :8080 metrics port, on loopback: plain HTTP there,
// TLS and credentials beyond); the agent's is agentcmd's.
const defaultControllerMetrics = "127.0.0.1:7421"

// registerControllerMetrics adds the controller's --metrics-listen.
func registerControllerMetrics(cmd *cobra.Command, addr *string) {
	cmd.Flags().StringVar(addr, "metrics-listen", defaultControllerMetrics, promkit.ListenHelp+
		"a client certificate or bearer token whose role may read /metrics (admin, deployer, viewer, or metrics: \"reconcile user create prometheus --role metrics\")")
}
