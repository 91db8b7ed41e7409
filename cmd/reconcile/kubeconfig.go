package main

import (
	"github.com/spf13/cobra"
)

func newKubeconfigCmd(g *globalFlags) *cobra.Command {
	var cluster, user string
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print a kubeconfig for kubectl with the current credentials",
		Long: `Print a kubeconfig that points kubectl (and k9s, Lens, client-go tools) at the controller's
read-only Kubernetes API (/api, /apis), with the server URL, the cluster CA and the client certificate
and key (or the token) of the client config this command uses.

kubectl get, describe, logs and get -w work; writes (apply, create, edit, delete, scale) are
refused with the git file and line to change instead.`,
		Example: `  reconcile kubeconfig > ~/.kube/reconcile.yaml
  kubectl --kubeconfig ~/.kube/reconcile.yaml get pods -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := connection(g.configFile, g.server, g.tokenFile)
			if err != nil {
				return err
			}
			b, err := cfg.Kubeconfig(cluster, user)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "reconcile", "name of the cluster and the context in the kubeconfig")
	cmd.Flags().StringVar(&user, "user", "reconcile", "name of the user in the kubeconfig")
	return cmd
}
