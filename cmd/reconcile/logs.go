package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

func newLogsCmd(g *globalFlags) *cobra.Command {
	var namespace string
	opts := apiclient.LogOptions{}
	cmd := &cobra.Command{
		Use:   "logs POD [-c CONTAINER] [-f] [--previous]",
		Short: "Print a container's log (through the controller, from the pod's node agent)",
		Long: `Print the log (stdout and stderr) of a container of a pod. The controller forwards the request to
the agent of the pod's node, which reads it from Podman.

-c is needed when the pod has more than one container. --previous prints the log of the container
before its last restart (the one shown as lastState). -f keeps printing new lines until the
container stops or you press Ctrl-C.`,
		Example: `  reconcile logs web-7d4b9c-x2x7q -n demo
  reconcile logs web-7d4b9c-x2x7q -n demo -c hello -f
  reconcile logs crashy --previous --tail 20`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeNames(g, "Pod"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if namespace == "" {
				namespace = "default"
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return c.Logs(ctx, namespace, args[0], opts, os.Stdout)
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default \"default\")")
	cmd.Flags().StringVarP(&opts.Container, "container", "c", "", "container name (default: the pod's only container)")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new lines")
	cmd.Flags().BoolVarP(&opts.Previous, "previous", "p", false, "the log of the previous (restarted) container")
	cmd.Flags().IntVar(&opts.TailLines, "tail", 0, "only the last N lines")
	cmd.Flags().BoolVar(&opts.Timestamps, "timestamps", false, "prefix every line with its time")
	return cmd
}
