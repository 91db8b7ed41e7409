package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// withNodeDelete adds `node delete` to the `node` command.
func withNodeDelete(node *cobra.Command, g *globalFlags) *cobra.Command {
	node.Short = "Manage nodes: their credentials, their removal"
	node.AddCommand(newNodeDeleteCmd(g))
	return node
}

func newNodeDeleteCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Remove a node: delete its Node and its pods (replaced elsewhere) and revoke its certificates",
		Long: `Delete the Node, remove the pods bound to it at once (their controllers make new ones on the
other nodes, as Kubernetes' pod garbage collector does for a deleted node), and revoke every
certificate issued to the node: its agent is refused (401) from its next request on, and its open
watches end. The host may join again with a new token ('reconcile join'); its old key is forgotten.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			out, err := c.DeleteNode(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node %s deleted: %d pod(s) removed, %d certificate(s) revoked\n", out.Node, out.DeletedPods, len(out.RevokedSerials))
			return nil
		},
	}
}
