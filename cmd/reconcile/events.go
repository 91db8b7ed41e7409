package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func newEventsCmd(g *globalFlags) *cobra.Command {
	var namespace, output, forObj string
	var all bool
	cmd := &cobra.Command{
		Use:   "events [--for KIND/NAME]",
		Short: "Show what happened to objects: pods created, scheduled, started, probes failing, jobs finishing",
		Long: `List the events of a namespace, oldest first, like kubectl events.

Events are recorded by the controllers (SuccessfulCreate, ScalingReplicaSet, Scheduled,
FailedScheduling, Completed, BackoffLimitExceeded, …) and by the node agents (Pulling, Started,
Killing, Unhealthy, BackOff, …). A repeated event is counted rather than stored twice (the COUNT
column). The history is bounded: events older than an hour, and beyond 1,000 per namespace, are
removed.`,
		Example: `  reconcile events -n demo
  reconcile events -A
  reconcile events --for deployment/web -n demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ns := listNamespace(namespace, all)
			items, rv, err := c.List(cmd.Context(), "Event", ns, nil)
			if err != nil {
				return err
			}
			evs := toEvents(items)
			if forObj != "" {
				kind, name, ok := strings.Cut(forObj, "/")
				k, known := objects.Resolve(kind)
				if !ok || !known || name == "" {
					return fmt.Errorf("--for %q: want KIND/NAME, e.g. deployment/web or pod/web-7d9f-abcde", forObj)
				}
				evs = filterEvents(evs, k.Kind, name)
			}
			events.SortOldestFirst(evs)
			if output == "json" || output == "yaml" {
				out := make([]objects.Object, len(evs))
				for i, e := range evs {
					out[i] = e
				}
				return printData(cmd.OutOrStdout(), apiserver.List{APIVersion: "v1", Kind: "List",
					Metadata: apiserver.ListMeta{ResourceVersion: fmt.Sprint(rv)}, Items: out}, output)
			}
			if len(evs) == 0 {
				where := "in namespace " + ns
				if ns == "" {
					where = "anywhere"
				}
				fmt.Fprintf(os.Stderr, "No events found %s.\n", where)
				return nil
			}
			return printEvents(cmd.OutOrStdout(), evs, all, time.Now())
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default \"default\")")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "events of every namespace")
	cmd.Flags().StringVar(&forObj, "for", "", "only the events of one object, as KIND/NAME")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or yaml")
	return cmd
}

func toEvents(items []objects.Object) []*corev1.Event {
	out := make([]*corev1.Event, 0, len(items))
	for _, o := range items {
		if e, ok := o.(*corev1.Event); ok {
			out = append(out, e)
		}
	}
	return out
}

func filterEvents(evs []*corev1.Event, kind, name string) []*corev1.Event {
	var out []*corev1.Event
	for _, e := range evs {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// printEvents is kubectl events' table: LAST SEEN, TYPE, REASON, OBJECT,
// COUNT, MESSAGE.
func printEvents(w io.Writer, evs []*corev1.Event, withNS bool, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	h := "LAST SEEN\tTYPE\tREASON\tOBJECT\tCOUNT\tMESSAGE"
	if withNS {
		h = "NAMESPACE\t" + h
	}
	fmt.Fprintln(tw, h)
	for _, e := range evs {
		obj := strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%s", ago(events.LastSeen(e), now), e.Type, e.Reason, obj, max(e.Count, 1), oneLine(e.Message))
		if withNS {
			line = e.Namespace + "\t" + line
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
