package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// completeKindAndName completes KIND (plurals, and "all" for get) then
// NAME of commands shaped `CMD KIND NAME` (get, describe, rollout status),
// asking the server for the names in the command's -n namespace.
func completeKindAndName(g *globalFlags, withAll bool) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			var out []cobra.Completion
			if withAll {
				out = append(out, "all")
			}
			for _, k := range objects.Kinds() {
				out = append(out, k.Plural)
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		case 1:
			k, ok := objects.Resolve(args[0])
			if !ok {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return objectNames(cmd, g, k.Kind)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNames completes the names of kind's objects (logs: pods;
// --namespace: namespaces).
func completeNames(g *globalFlags, kind string) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && kind != "Namespace" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return objectNames(cmd, g, kind)
	}
}

// objectNames lists kind's names in the command's namespace (-n, else
// default; every namespace with -A), within a few seconds: a completion
// that cannot reach the server offers nothing.
func objectNames(cmd *cobra.Command, g *globalFlags, kind string) ([]cobra.Completion, cobra.ShellCompDirective) {
	k, _ := objects.Info(kind)
	ns := ""
	if k.Namespaced {
		ns = "default"
		if f := cmd.Flags().Lookup("namespace"); f != nil && f.Value.String() != "" {
			ns = f.Value.String()
		}
		if f := cmd.Flags().Lookup("all-namespaces"); f != nil && f.Value.String() == "true" {
			ns = ""
		}
	}
	c, err := g.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	items, _, err := c.List(ctx, kind, ns, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []cobra.Completion
	for _, o := range items {
		out = append(out, o.GetName())
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
