package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile"
)

func newHistoryCmd(g *globalFlags) *cobra.Command {
	var source, output string
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the commits a source applied, newest first, with what each changed",
		Long: `List the commits a git source applied (the newest 100), newest first: when, the commit, its author and
message, and per kind what it created (+), changed (~) and deleted (-). Commits applied by a rollback are
marked "rollback"; a commit the ref reached by a force-push (it does not descend from the commit applied
before) is marked "forced". Roll back to one with 'reconcile rollback COMMIT'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			h, err := c.History(cmd.Context(), source)
			if err != nil {
				return err
			}
			if output == "json" {
				b, _ := json.MarshalIndent(h, "", "  ")
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			}
			printHistory(cmd.OutOrStdout(), h)
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the source (default: the only one)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func printHistory(w io.Writer, h reconcile.SourceHistory) {
	if len(h.Entries) == 0 {
		fmt.Fprintf(w, "source %s has applied no commit yet\n", h.Source)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APPLIED\tCOMMIT\tAUTHOR\tMESSAGE\tCHANGES\tFLAGS")
	for _, e := range h.Entries {
		flags := ""
		if e.Rollback {
			flags = "rollback"
		}
		if e.Forced {
			flags = "forced (from " + short12(e.ForcedFrom) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.AppliedAt.Local().Format("2006-01-02 15:04:05"), short12(e.Commit), e.Author, firstLine(e.Message), e.Summary, flags)
	}
	tw.Flush()
}

func newRollbackCmd(g *globalFlags) *cobra.Command {
	var source string
	cmd := &cobra.Command{
		Use:   "rollback COMMIT",
		Short: "Apply an earlier commit and pin the source there until 'reconcile sync --resume'",
		Long: `Apply an earlier commit of a source (a full or short hash, e.g. from 'reconcile history') and pin the
source to it: new commits are still fetched, and shown by 'reconcile status', but not applied until
'reconcile sync --resume'. The commit is validated first; an invalid one changes nothing. With signature
verification on, only commits the source applied before may be rolled back to.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.Rollback(cmd.Context(), source, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "source %s rolled back to %s %s and pinned there; `reconcile sync --resume --source %s` follows the ref again\n",
				st.Name, short12(st.LastAppliedCommit), firstLine(st.LastAppliedMessage), st.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the source (default: the only one)")
	return cmd
}
