package agentcmd

import (
	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/metrics/promkit"
)

// defaultAgentMetrics is the agent's metrics address (the controller's is
// 127.0.0.1:7421).
const defaultAgentMetrics = "127.0.0.1:7422"

// registerAgentMetrics adds the agent's metrics address: --metrics-listen
// for a lone agent, --agent-metrics-listen in `up` (whose controller has
// --metrics-listen).
func registerAgentMetrics(cmd *cobra.Command, addr *string, lone bool) {
	cmd.Flags().StringVar(addr, agentMetricsFlag(lone)[2:], defaultAgentMetrics, "the agent's "+promkit.ListenHelp+
		"a client certificate of the cluster CA whose role may read /metrics (admin, deployer, viewer, metrics); bearer tokens are checked by the controller only")
}

// agentMetricsFlag is the flag name of the agent's endpoint.
func agentMetricsFlag(lone bool) string {
	if lone {
		return "--metrics-listen"
	}
	return "--agent-metrics-listen"
}
