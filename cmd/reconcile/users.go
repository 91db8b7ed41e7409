package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

func newUserCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage people's credentials: client certificates or bearer tokens, each person with one role",
		Long: `People authenticate with a client certificate of the cluster CA or with a bearer token, each
person with one role: admin (everything), deployer (read; sync, rollback, resume, diff; no Secret
values) or viewer (read, never Secret values). The running controller issues them and records each
person's role, certificate serials and token hashes (never a token), so that 'user list' shows
them and 'user delete' ends them at once. These commands are an admin's: they use the controller's
DATA/admin.conf when they run on its machine, else the client config found (--config-file).`,
	}
	var data string
	cmd.PersistentFlags().StringVar(&data, "data", defaultDataDir(), "the controller's data directory, whose admin.conf the commands use when it is readable")
	cmd.AddCommand(newUserCreateCmd(g, &data), newUserListCmd(g, &data), newUserDeleteCmd(g, &data))
	return cmd
}

// userAdmin is the admin's client config for the user commands:
// DATA/admin.conf when no config is named and it is readable (the
// controller's machine), else the one the global flags find. --server is
// not used to connect: it is the URL the person's config names.
func userAdmin(g *globalFlags, data string) (*clientconfig.Config, error) {
	if g.configFile == "" && os.Getenv("RECONCILE_CONFIG") == "" {
		if c, err := clientconfig.Load(filepath.Join(data, "admin.conf")); err == nil {
			return c, nil
		}
	}
	return connection(g.configFile, "", g.tokenFile)
}

func userClient(g *globalFlags, data string) (*apiclient.Client, *clientconfig.Config, error) {
	cfg, err := userAdmin(g, data)
	if err != nil {
		return nil, nil, err
	}
	c, err := newClient(cfg)
	return c, cfg, err
}

func newUserCreateCmd(g *globalFlags, data *string) *cobra.Command {
	var (
		role  string
		ttl   time.Duration
		token bool
	)
	cmd := &cobra.Command{
		Use:   "create NAME --role admin|deployer|viewer|metrics [--ttl D] [--token]",
		Short: "Print a client config for a person: a client certificate, or with --token a bearer token",
		Long: `Print a client config (usable as $RECONCILE_CONFIG or --config-file) for the person NAME with a
role: admin, deployer, viewer or metrics (may only read /metrics: a Prometheus server). The running
controller issues the credential and records it ('user list', 'user delete'):

  without --token  a client certificate naming NAME (CN) and the role (O), as kubeadm's
                   'kubeadm kubeconfig user' does; the key is made here and only its signing
                   request is sent, so the key is in the printed config only.
  --token          a random bearer token (the config holds it and the cluster CA, no
                   certificate); the controller keeps only its SHA-256, so it is shown once.

Redirect the output to a file of mode 0600 and hand it over privately. --server is the URL the
config names, as the person reaches the controller (default the admin config's, which is
loopback); its host must be in the serving certificate (--tls-san).`,
		Example: `  reconcile user create ann --role viewer --server https://10.0.0.1:7420 > ann.conf
  reconcile user create ci --role deployer --token --ttl 720h > ci.conf
  RECONCILE_CONFIG=ann.conf reconcile get pods`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, admin, err := userClient(g, *data)
			if err != nil {
				return err
			}
			server := g.server
			if server == "" {
				server = admin.Server()
			}
			server = apiclient.NormalizeServer(server)
			noteLoopback(server)
			conf, err := credentials.RequestUser(cmd.Context(), c, server, admin.CertificateAuthority, args[0], role, ttl, token)
			if err != nil {
				return err
			}
			return printConfig(cmd, conf)
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "the person's role: admin, deployer, viewer or metrics (scrapes /metrics only)")
	_ = cmd.MarkFlagRequired("role")
	cmd.Flags().DurationVar(&ttl, "ttl", pki.LeafLifetime, "how long the credential works")
	cmd.Flags().BoolVar(&token, "token", false, "a bearer token instead of a client certificate")
	return cmd
}

func newUserListCmd(g *globalFlags, data *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List people's credentials: name, role, kind (cert or token), expiry, age (never a secret)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := userClient(g, *data)
			if err != nil {
				return err
			}
			users, err := c.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			return printUsers(cmd.OutOrStdout(), users, time.Now())
		},
	}
}

// printUsers is the table of `user list`.
func printUsers(w io.Writer, users []apitypes.UserCredential, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tKIND\tEXPIRES\tAGE")
	for _, u := range users {
		kind := u.Kind
		if kind == apitypes.UserKindCertificate {
			kind = "cert"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, kind, expires(u.Expires, now), ago(u.Created, now))
	}
	return tw.Flush()
}

func newUserDeleteCmd(g *globalFlags, data *string) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a person: its tokens stop working and its certificates are revoked, at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := userClient(g, *data)
			if err != nil {
				return err
			}
			out, err := c.DeleteUser(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s deleted: %d certificate(s) revoked, %d token(s) deleted\n", out.Name, len(out.RevokedSerials), out.DeletedTokens)
			return nil
		},
	}
}
