package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/kubeapi"
	"github.com/reconcile-dev/reconcile/reconcile/tables"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func newGetCmd(g *globalFlags) *cobra.Command {
	var namespace, output, selector, fieldSelector string
	var all, reveal, watch bool
	cmd := &cobra.Command{
		Use:   "get KIND [NAME]",
		Short: "List or show objects, like kubectl get",
		Long: `List objects of a kind, or show one by name.

KIND is a kind, its plural or short name: pods (po), deployments (deploy), replicasets (rs),
services (svc), configmaps (cm), secrets, namespaces (ns), nodes (no), daemonsets (ds),
statefulsets (sts), jobs, cronjobs (cj), priorityclasses (pc), poddisruptionbudgets (pdb),
horizontalpodautoscalers (hpa), ingresses (ing), ingressclasses, resourcequotas (quota), limitranges (limits),
endpoints (ep), events (ev).
"all" is kubectl's set: pods, services, daemonsets, deployments, replicasets, statefulsets,
horizontalpodautoscalers, cronjobs and jobs.

-l and --field-selector select as kubectl's (app=web,tier!=db; spec.nodeName=n1,status.phase=Running);
-w prints the table, then a line per change until interrupted.`,
		Example: `  reconcile get pods -n demo
  reconcile get deploy -A -o wide
  reconcile get pods -n demo -o json
  reconcile get deployment hello -n demo -o yaml
  reconcile get secret db -n demo -o yaml --reveal
  reconcile get pods -A -l app=web --field-selector status.phase=Running
  reconcile get pods -n demo -w
  reconcile get all -n demo`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeKindAndName(g, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if selector != "" {
				q.Set("labelSelector", selector)
			}
			if fieldSelector != "" {
				q.Set("fieldSelector", fieldSelector)
			}
			if reveal {
				q.Set("reveal", "true")
			}
			if args[0] == "all" {
				if len(args) == 2 || watch {
					return errors.New("get all lists kinds: it takes no NAME and no -w (watch one kind: get pods -w)")
				}
				return getAll(cmd, g, namespace, all, output, q)
			}
			k, ok := objects.Resolve(args[0])
			if !ok {
				return fmt.Errorf("unknown kind %q: try pods, deployments, replicasets, services, configmaps, secrets, namespaces, nodes", args[0])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ns := listNamespace(namespace, all || !k.Namespaced)
			if len(args) == 2 && !watch {
				get := c.Get
				if reveal {
					get = c.GetRevealed
				}
				o, err := get(cmd.Context(), objects.Key{Kind: k.Kind, Namespace: ns, Name: args[1]})
				if err != nil {
					return err
				}
				return printObjects(cmd.OutOrStdout(), []objects.Object{o}, output, all, true)
			}
			if len(args) == 2 {
				q.Set("fieldSelector", strings.Trim("metadata.name="+args[1]+","+fieldSelector, ","))
			}
			items, rv, err := c.List(cmd.Context(), k.Kind, ns, q)
			if err != nil {
				return err
			}
			if watch {
				return watchTable(cmd, c, k, ns, items, rv, q, output == "wide", all && k.Namespaced)
			}
			if output == "json" || output == "yaml" {
				return printData(cmd.OutOrStdout(), apiserver.List{APIVersion: "v1", Kind: "List",
					Metadata: apiserver.ListMeta{ResourceVersion: fmt.Sprint(rv)}, Items: items}, output)
			}
			if len(items) == 0 {
				where := "in namespace " + ns
				if ns == "" {
					where = "anywhere"
				}
				fmt.Fprintf(os.Stderr, "No %s found %s.\n", k.Plural, where)
				return nil
			}
			return printObjects(cmd.OutOrStdout(), items, output, all && k.Namespaced, false)
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default \"default\")")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list across every namespace")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, wide, json or yaml")
	cmd.Flags().BoolVar(&reveal, "reveal", false, "show Secret values (the API masks them otherwise)")
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "label selector, as kubectl's (app=web, app in (a,b), !canary)")
	cmd.Flags().StringVar(&fieldSelector, "field-selector", "", "field selector: metadata.name, metadata.namespace, and per kind spec.nodeName, status.phase…")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "after the table, print a line per change (until interrupted)")
	cmd.RegisterFlagCompletionFunc("namespace", completeNames(g, "Namespace"))
	return cmd
}

// getAll is `get all`: kubectl's set of kinds, one table each.
func getAll(cmd *cobra.Command, g *globalFlags, namespace string, all bool, output string, q url.Values) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ns := listNamespace(namespace, all)
	var groups [][]objects.Object
	var every []objects.Object
	for _, kind := range kubeapi.AllKinds() {
		items, _, err := c.List(cmd.Context(), kind, ns, q)
		if err != nil {
			return err
		}
		sort.SliceStable(items, func(i, j int) bool { return objects.KeyOf(items[i]).Less(objects.KeyOf(items[j])) })
		groups, every = append(groups, items), append(every, items...)
	}
	if output == "json" || output == "yaml" {
		return printData(cmd.OutOrStdout(), apiserver.List{APIVersion: "v1", Kind: "List", Items: every}, output)
	}
	wrote, err := tables.PrintKinds(cmd.OutOrStdout(), groups, output == "wide", all)
	if err == nil && !wrote {
		fmt.Fprintf(os.Stderr, "No resources found in %s namespace.\n", ns)
	}
	return err
}

// watchTable is `get -w`: the table, then a row per change from the list's
// resourceVersion on, as kubectl prints them.
func watchTable(cmd *cobra.Command, c *apiclient.Client, k objects.KindInfo, ns string, items []objects.Object, rv uint64, q url.Values, wide, withNS bool) error {
	out := cmd.OutOrStdout()
	if len(items) > 0 {
		sort.SliceStable(items, func(i, j int) bool { return objects.KeyOf(items[i]).Less(objects.KeyOf(items[j])) })
		if err := printTable(out, items, wide, withNS); err != nil {
			return err
		}
	}
	return c.WatchList(cmd.Context(), k.Kind, ns, rv, q, func(ev apiclient.WatchEvent) bool {
		return tables.PrintRow(out, ev.Object, wide, withNS) == nil
	})
}

func printObjects(w io.Writer, items []objects.Object, output string, withNS, single bool) error {
	switch output {
	case "json", "yaml":
		if single {
			return printData(w, items[0], output)
		}
		return printData(w, apiserver.List{APIVersion: "v1", Kind: "List", Items: items}, output)
	case "table", "wide", "":
		sort.SliceStable(items, func(i, j int) bool { return objects.KeyOf(items[i]).Less(objects.KeyOf(items[j])) })
		return printTable(w, items, output == "wide", withNS)
	}
	return errors.New("unknown output format " + output + ": use table, wide, json or yaml")
}

func printData(w io.Writer, v any, output string) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if output == "yaml" {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// listNamespace is the namespace a command reads: "" for every namespace
// (-A, or a kind that has none), else -n's value, "default" by default.
func listNamespace(namespace string, every bool) string {
	switch {
	case every:
		return ""
	case namespace == "":
		return "default"
	}
	return namespace
}
