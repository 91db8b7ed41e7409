package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func newGetCmd(g *globalFlags) *cobra.Command {
	var namespace, output string
	var all, reveal bool
	cmd := &cobra.Command{
		Use:   "get KIND [NAME]",
		Short: "List or show objects, like kubectl get",
		Long: `List objects of a kind, or show one by name.

KIND is a kind, its plural or short name: pods (po), deployments (deploy), replicasets (rs),
services (svc), configmaps (cm), secrets, namespaces (ns), nodes (no), daemonsets (ds),
statefulsets (sts), jobs, cronjobs (cj), priorityclasses (pc), poddisruptionbudgets (pdb),
horizontalpodautoscalers (hpa), ingresses (ing), ingressclasses, resourcequotas (quota), limitranges (limits),
endpoints (ep), events (ev).`,
		Example: `  reconcile get pods -n demo
  reconcile get deploy -A -o wide
  reconcile get pods -n demo -o json
  reconcile get deployment hello -n demo -o yaml
  reconcile get secret db -n demo -o yaml --reveal`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, ok := objects.Resolve(args[0])
			if !ok {
				return fmt.Errorf("unknown kind %q: try pods, deployments, replicasets, services, configmaps, secrets, namespaces, nodes", args[0])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ns := namespace
			if all || !k.Namespaced {
				ns = ""
			} else if ns == "" {
				ns = "default"
			}
			if len(args) == 2 {
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
			var q url.Values
			if reveal {
				q = url.Values{"reveal": {"true"}}
			}
			items, rv, err := c.List(cmd.Context(), k.Kind, ns, q)
			if err != nil {
				return err
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
	return cmd
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
