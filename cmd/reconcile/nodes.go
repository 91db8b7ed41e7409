package main

import (
	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/drain"
)

// nodeCmds are cordon, uncordon and drain (reconcile/drain).
func nodeCmds(g *globalFlags) []*cobra.Command {
	cordon := func(on bool) func(cmd *cobra.Command, args []string) error {
		return func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			return drain.Cordon(cmd.Context(), c, args[0], on, cmd.OutOrStdout())
		}
	}
	var s drain.Settings
	drainCmd := &cobra.Command{
		Use:   "drain NODE",
		Short: "Cordon a node and evict its pods so their controllers run them elsewhere",
		Long: `Mark the node unschedulable, then evict each of its pods through the eviction API: the pod is stopped
with its own grace period and its controller (Deployment, StatefulSet, Job…) replaces it on another node.
Waits until the evicted pods are gone and says what it did.

DaemonSet pods stay (kubectl's --ignore-daemonsets, always on). Pods that declare no controller are
refused unless --force (nothing recreates them; a bare pod from git is recreated by its source), pods with
emptyDir volumes unless --delete-emptydir-data. A refusal evicts nothing; the node stays cordoned.
A pod whose PodDisruptionBudget allows no disruption now is refused by the eviction API ("Cannot evict
pod as it would violate the pod's disruption budget."): drain says so and asks again every 5 s, as
kubectl does, until the budget allows it (another replica is ready elsewhere) or --timeout.
'reconcile uncordon NODE' makes it schedulable again.`,
		Example: `  reconcile drain node-b
  reconcile drain node-b --force --timeout 5m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			return drain.Drain(cmd.Context(), c, args[0], s, cmd.OutOrStdout())
		},
	}
	drainCmd.Flags().BoolVar(&s.Force, "force", false, "also evict pods that declare no controller")
	drainCmd.Flags().BoolVar(&s.DeleteEmptyDirData, "delete-emptydir-data", false, "also evict pods with emptyDir volumes (their data is lost)")
	drainCmd.Flags().DurationVar(&s.Timeout, "timeout", 0, "give up after this long (0: wait for ever, as kubectl)")
	return []*cobra.Command{
		{Use: "cordon NODE", Short: "Mark a node unschedulable: no new pods go there, running ones stay",
			Example: "  reconcile cordon node-b", Args: cobra.ExactArgs(1), RunE: cordon(true)},
		{Use: "uncordon NODE", Short: "Mark a node schedulable again",
			Example: "  reconcile uncordon node-b", Args: cobra.ExactArgs(1), RunE: cordon(false)},
		drainCmd,
	}
}
