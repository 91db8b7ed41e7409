package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/health"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func newDescribeCmd(g *globalFlags) *cobra.Command {
	var namespace string
	cmd := &cobra.Command{
		Use:   "describe KIND NAME",
		Short: "Show one object in detail: its state, health, conditions and recent events",
		Long: `Show one object as a person reads it, like kubectl describe: metadata, health, the
state of its replicas, pods or containers, its conditions, and the events about it (oldest first).

KIND is a kind, its plural or short name (deploy, rs, ds, sts, po, svc, job, cj, no, …).`,
		Example: `  reconcile describe deployment web -n demo
  reconcile describe pod web-7d9f8c6b5-x2x7k -n demo
  reconcile describe job migrate`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeKindAndName(g, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, ok := objects.Resolve(args[0])
			if !ok {
				return fmt.Errorf("unknown kind %q: try deployment, replicaset, daemonset, statefulset, pod, service, job, cronjob, node", args[0])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ns := listNamespace(namespace, !k.Namespaced)
			o, err := c.Get(cmd.Context(), objects.Key{Kind: k.Kind, Namespace: ns, Name: args[1]})
			if err != nil {
				return err
			}
			evNS := ns
			if evNS == "" {
				evNS = "default"
			}
			items, _, err := c.List(cmd.Context(), "Event", evNS, nil)
			if err != nil {
				return err
			}
			return describe(cmd.OutOrStdout(), o, events.For(toEvents(items), o), time.Now())
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default \"default\")")
	return cmd
}

// describer collects "Key: value" lines and indented sections.
type describer struct {
	w   *tabwriter.Writer
	now time.Time
}

func (d *describer) field(indent int, key string, format string, args ...any) {
	fmt.Fprintf(d.w, "%s%s:\t%s\n", strings.Repeat("  ", indent), key, fmt.Sprintf(format, args...))
}

func (d *describer) line(indent int, s string) {
	fmt.Fprintf(d.w, "%s%s\n", strings.Repeat("  ", indent), s)
}

// table writes a header and rows at an indent, tab-separated.
func (d *describer) table(indent int, header string, rows [][]string) {
	pad := strings.Repeat("  ", indent)
	fmt.Fprintln(d.w, pad+header)
	for _, r := range rows {
		fmt.Fprintln(d.w, pad+strings.Join(r, "\t"))
	}
}

func describe(w io.Writer, o objects.Object, evs []*corev1.Event, now time.Time) error {
	d := &describer{w: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0), now: now}
	d.field(0, "Name", "%s", o.GetName())
	if o.GetNamespace() != "" {
		d.field(0, "Namespace", "%s", o.GetNamespace())
	}
	d.field(0, "Kind", "%s", objects.KindOf(o))
	d.field(0, "Labels", "%s", keyValues(o.GetLabels()))
	d.field(0, "Annotations", "%s", keyValues(o.GetAnnotations()))
	ct := o.GetCreationTimestamp()
	d.field(0, "Created", "%s (%s ago)", ct.UTC().Format(time.RFC3339), ago(ct.Time, now))
	if ts := o.GetDeletionTimestamp(); ts != nil {
		d.field(0, "Terminating since", "%s", ts.UTC().Format(time.RFC3339))
	}
	if refs := o.GetOwnerReferences(); len(refs) > 0 {
		var s []string
		for _, r := range refs {
			s = append(s, r.Kind+"/"+r.Name)
		}
		d.field(0, "Controlled By", "%s", strings.Join(s, ", "))
	}
	if st, msg := controllers.Health(o); st != health.None {
		if msg != "" {
			d.field(0, "Health", "%s (%s)", st, msg)
		} else {
			d.field(0, "Health", "%s", st)
		}
	}
	describeKind(d, o)
	d.line(0, "Events:")
	if len(evs) == 0 {
		d.line(1, "<none>")
	} else {
		var rows [][]string
		for _, e := range evs {
			age := ago(events.LastSeen(e), now)
			if e.Count > 1 {
				age = fmt.Sprintf("%s (x%d over %s)", age, e.Count, ago(e.FirstTimestamp.Time, now))
			}
			rows = append(rows, []string{e.Type, e.Reason, age, dash(e.Source.Component), oneLine(e.Message)})
		}
		d.table(1, "Type\tReason\tAge\tFrom\tMessage", rows)
	}
	return d.w.Flush()
}

func keyValues(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	keys := slices.Sorted(maps.Keys(m))
	var out []string
	for _, k := range keys {
		out = append(out, k+"="+m[k])
	}
	return strings.Join(out, "\n\t")
}
