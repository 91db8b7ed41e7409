package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newSyncCmd(g *globalFlags) *cobra.Command {
	var (
		source string
		resume bool
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Fetch the git sources now instead of waiting for the next poll",
		Long: `Ask the controller to fetch now. Local repos are watched and apply a commit at once; this is for remote ones.

With --resume, a source pinned by 'reconcile rollback' follows its ref again (and fetches now).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if resume {
				if err := c.Resume(cmd.Context(), source); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "resumed: the source follows its ref again; see `reconcile status`")
				return nil
			}
			if err := c.Sync(cmd.Context(), source); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "sync requested; see `reconcile status`")
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the source to fetch (default: every source; with --resume: the only one)")
	cmd.Flags().BoolVar(&resume, "resume", false, "unpin a source pinned by 'reconcile rollback'")
	return cmd
}
