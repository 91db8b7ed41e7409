package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

func newServerCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "server", Short: "The servers of a control plane (embedded etcd members)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "remove NAME|ID",
		Short: "Remove a server's etcd member from the control plane, by name or by member ID (ask another server than NAME)",
		Long: `Remove server NAME's embedded etcd member, as 'etcdctl member remove'. Stop NAME's controller
first; to bring it back, empty its DATA/etcd and join it again with --join and a server token.
'reconcile status' lists the servers.`,
		Example: `  reconcile --server https://server-1:7420 server remove server-3`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			out, err := c.RemoveServer(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "server %s removed (etcd member %s)\n", out.Name, out.MemberID)
			return nil
		},
	})
	return cmd
}

// printServers is the control plane block of `reconcile status`.
func printServers(w io.Writer, s apitypes.Servers) {
	fmt.Fprintf(w, "store: %s\n", s.Store)
	if len(s.Members) == 0 && s.Error == "" && s.Leader == "" {
		return
	}
	leader := s.Leader
	if leader == "" {
		leader = "none (no server leads: see the members' errors)"
	}
	fmt.Fprintf(w, "controller leader: %s\n", leader)
	if s.Error != "" {
		fmt.Fprintf(w, "error: %s\n", s.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tPEER URL\tCLIENT URL\tETCD\tHEALTHY\tDB SIZE\tRAFT INDEX\tERROR")
	for _, m := range s.Members {
		role := "follower"
		switch {
		case m.Learner:
			role = "learner"
		case m.Leader:
			role = "leader"
		}
		healthy := "yes"
		if !m.Healthy {
			healthy = "no"
		}
		errText := m.Error
		if errText == "" {
			errText = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", m.Name, m.PeerURL, m.ClientURL, role, healthy, bytesIEC(m.DBSize), m.RaftIndex, errText)
	}
	tw.Flush()
}

// bytesIEC is n in KiB/MiB/GiB, as etcdctl's table shows DB SIZE.
func bytesIEC(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
