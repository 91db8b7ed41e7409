package main

import (
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

// newTopCmd is `reconcile top pods|nodes`: kubectl top over the
// controller's metrics.k8s.io API (the usage the agents report).
func newTopCmd(g *globalFlags) *cobra.Command {
	top := &cobra.Command{
		Use:   "top pods|nodes",
		Short: "Show the CPU and memory usage of pods or nodes",
		Long: `Show the CPU (millicores) and memory (working set) the pods' containers use, as their nodes' agents
last measured it (every --usage-interval of the agent, 15 s by default; a pod appears after two readings).
The same figures feed HorizontalPodAutoscalers and /apis/metrics.k8s.io/v1beta1 (kubectl top).`,
	}
	var namespace string
	var all bool
	pods := &cobra.Command{
		Use:     "pods [-n NS|-A]",
		Aliases: []string{"pod", "po"},
		Short:   "Show the usage of the pods of a namespace",
		Example: `  reconcile top pods
  reconcile top pods -n shop
  reconcile top pods -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ns := listNamespace(namespace, all)
			list, err := c.PodMetrics(cmd.Context(), ns)
			if err != nil {
				return err
			}
			return podmetrics.WriteTopPods(cmd.OutOrStdout(), list.Items, all)
		},
	}
	pods.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default \"default\")")
	pods.Flags().BoolVarP(&all, "all-namespaces", "A", false, "every namespace")
	nodes := &cobra.Command{
		Use:     "nodes",
		Aliases: []string{"node", "no"},
		Short:   "Show the usage of each node: the sum of its pods', against its allocatable",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			usage, err := c.NodeMetrics(cmd.Context())
			if err != nil {
				return err
			}
			items, _, err := c.List(cmd.Context(), "Node", "", nil)
			if err != nil {
				return err
			}
			var ns []*corev1.Node
			for _, o := range items {
				ns = append(ns, o.(*corev1.Node))
			}
			return podmetrics.WriteTopNodes(cmd.OutOrStdout(), usage.Items, ns)
		},
	}
	top.AddCommand(pods, nodes)
	return top
}
