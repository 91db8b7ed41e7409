package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
)

func newTokenCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage join tokens: the one-time credentials hosts join the cluster with",
		Long: `Join tokens let a host join the cluster with 'reconcile join URL --token TOKEN' (kubeadm's and
k3s' model). A token is K10<hash of the cluster CA>::<id>.<secret>: the joining host pins the CA by
that hash before it sends anything. The controller keeps only a hash of the secret; the token is
shown once, when it is made. Tokens are for admins.`,
	}
	cmd.AddCommand(newTokenCreateCmd(g), newTokenListCmd(g), newTokenDeleteCmd(g))
	return cmd
}

func newTokenCreateCmd(g *globalFlags) *cobra.Command {
	var (
		ttl         time.Duration
		description string
		server      bool
	)
	cmd := &cobra.Command{
		Use:   "create [--ttl 24h] [--description TEXT]",
		Short: "Make a join token and print it (the only time its secret is shown)",
		Example: `  reconcile token create --ttl 1h --description "node-b"
  reconcile join https://10.0.0.1:7420 --token "$(reconcile token create)"   # on the host to join`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if server { // only such a token admits a server (jointoken.ServerDescription)
				description = jointoken.ServerDescription + description
			}
			tok, err := c.CreateToken(cmd.Context(), ttl.String(), description)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok.Token)
			return nil
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token works (0: until deleted)")
	cmd.Flags().StringVar(&description, "description", "", "what the token is for, shown by 'token list'")
	cmd.Flags().BoolVar(&server, "control-plane", false, "a server token (as kubeadm join --control-plane): admits a server to the control plane (`reconcile controller --join URL --token T`), which receives the cluster CA's key; a node's token never does")
	return cmd
}

func newTokenListCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List join tokens: id, description, expiry, uses (never the secret)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			toks, err := c.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			return printTokens(cmd.OutOrStdout(), toks, time.Now())
		},
	}
}

// printTokens is the table of `token list`.
func printTokens(w io.Writer, toks []apitypes.Token, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "ID\tEXPIRES\tUSES\tAGE\tDESCRIPTION")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", t.ID, expires(t.Expires, now), t.Uses, ago(t.Created, now), dash(t.Description))
	}
	return tw.Flush()
}

// expires is a credential's EXPIRES column: "in 23h", "expired 5m ago",
// "never" (zero).
func expires(at, now time.Time) string {
	switch {
	case at.IsZero():
		return "never"
	case !now.Before(at):
		return "expired " + duration.HumanDuration(now.Sub(at)) + " ago"
	}
	return "in " + duration.HumanDuration(at.Sub(now))
}

func newTokenDeleteCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a join token: it joins no host from now on (joined nodes keep their credentials)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s deleted\n", args[0])
			return nil
		},
	}
}
