package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func newRolloutCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Follow the rollout of a Deployment, DaemonSet or StatefulSet",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newRolloutStatusCmd(g))
	return cmd
}

func newRolloutStatusCmd(g *globalFlags) *cobra.Command {
	var namespace string
	var timeout time.Duration
	var watch bool
	cmd := &cobra.Command{
		Use:   "status KIND NAME",
		Short: "Wait until a rollout finishes, printing its progress",
		Long: `Show the rollout of a Deployment, DaemonSet or StatefulSet and wait until it finishes, printing a
line each time it moves, as kubectl rollout status does.

Exits 0 once every replica runs the newest template and is available. Exits 1 when the rollout
failed (a Deployment whose Progressing condition says ProgressDeadlineExceeded: no progress for
spec.progressDeadlineSeconds) or when --timeout passes first.`,
		Example: `  reconcile rollout status deployment hello -n demo
  reconcile rollout status deploy/hello -n demo --timeout 2m
  reconcile rollout status sts db --watch=false`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeKindAndName(g, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := rolloutKey(args, namespace)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			err = followRollout(ctx, c, key, watch, cmd.OutOrStdout())
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("timed out after %s waiting for the rollout of %s/%s in namespace %s; it may still finish: run the command again or raise --timeout",
					timeout, key.Kind, key.Name, key.Namespace)
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default \"default\")")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (e.g. 90s, 5m); 0 waits for ever")
	cmd.Flags().BoolVarP(&watch, "watch", "w", true, "wait for the rollout to finish; false prints the current state once")
	return cmd
}

// rolloutKey accepts "KIND NAME" and "KIND/NAME".
func rolloutKey(args []string, namespace string) (objects.Key, error) {
	kindArg, name := args[0], ""
	if len(args) == 2 {
		name = args[1]
	} else if k, n, ok := strings.Cut(kindArg, "/"); ok {
		kindArg, name = k, n
	}
	if name == "" {
		return objects.Key{}, fmt.Errorf("rollout status needs a kind and a name, e.g. `reconcile rollout status deployment hello`")
	}
	k, ok := objects.Resolve(kindArg)
	if !ok || (k.Kind != "Deployment" && k.Kind != "DaemonSet" && k.Kind != "StatefulSet") {
		return objects.Key{}, fmt.Errorf("rollout status works for deployments (deploy), daemonsets (ds) and statefulsets (sts), not %q", kindArg)
	}
	if namespace == "" {
		namespace = "default"
	}
	return objects.Key{Kind: k.Kind, Namespace: namespace, Name: name}, nil
}

// followRollout prints the rollout's state each time it changes until it
// is done (nil), failed (an error) or ctx ends (ctx.Err()). It watches the
// object's kind and re-reads the object on every event of it, and every
// few seconds in case the watch stream broke.
func followRollout(ctx context.Context, c *apiclient.Client, key objects.Key, watch bool, out io.Writer) error {
	changed := make(chan struct{}, 1)
	if watch {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			for wctx.Err() == nil {
				c.Watch(wctx, 0, key.Kind, "", func(ev apiclient.WatchEvent) bool {
					if objects.KeyOf(ev.Object) == key {
						select {
						case changed <- struct{}{}:
						default:
						}
					}
					return true
				})
				select {
				case <-wctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	last := ""
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		o, err := c.Get(ctx, key)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("rollout status %s/%s -n %s: %w", key.Kind, key.Name, key.Namespace, err)
		}
		st, err := rolloutStatus(o)
		if err != nil {
			return err
		}
		if st.Failed {
			return errors.New(st.Message)
		}
		if st.Message != last {
			fmt.Fprintln(out, st.Message)
			last = st.Message
		}
		if st.Done || !watch {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-tick.C:
		}
	}
}
