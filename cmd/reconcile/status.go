package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
)

func newStatusCmd(g *globalFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each git source: the commit running, the last commit tried and its errors",
		Long: `Show, per source, the ref it follows, the last applied commit (author, message, time) and the
last attempted commit with its errors. An invalid commit is listed with every error as
file:line:col: field: message while the last good commit keeps running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			sts, err := c.Sources(cmd.Context())
			if err != nil {
				return err
			}
			servers, err := c.Servers(cmd.Context()) // the control plane (servers.go)
			if err != nil && !apierrors.Is(err, apierrors.ReasonNotFound) {
				return err
			}
			if output == "json" {
				rep := apitypes.StatusReport{Sources: sts}
				if err == nil {
					rep.Servers = &servers
				}
				return writeStatusJSON(cmd.OutOrStdout(), rep)
			}
			serversErr := err
			wanted := map[string]int{}
			for _, s := range sts {
				wanted[s.Name] = s.Objects
			}
			byHealth, err := healthBySource(cmd.Context(), c, wanted) // health_table.go
			if err != nil {
				return err
			}
			for _, s := range sts {
				printSourceStatus(cmd.OutOrStdout(), s)
				printSourceHealth(cmd.OutOrStdout(), byHealth[s.Name])
			}
			// Containers changed by hand in Podman and restored by the agents.
			items, _, err := c.List(cmd.Context(), "Event", "", nil)
			if err != nil {
				return err
			}
			if line := containersRepairedLine(toEvents(items)); line != "" {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			if serversErr == nil {
				printServers(cmd.OutOrStdout(), servers)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// writeStatusJSON is `reconcile status -o json` (apitypes.StatusReport).
func writeStatusJSON(w io.Writer, rep apitypes.StatusReport) error {
	if rep.Sources == nil {
		rep.Sources = []apitypes.SourceStatus{}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func printSourceStatus(w io.Writer, s sources.Status) {
	fmt.Fprintf(w, "source %s\n", s.Name)
	fmt.Fprintf(w, "  repo:      %s", s.URL)
	if s.Path != "" {
		fmt.Fprintf(w, " (path %s)", s.Path)
	}
	ref := s.Ref
	if ref == "" {
		ref = "HEAD"
	}
	if s.ResolvedRef != "" {
		ref += " (resolved to tag " + s.ResolvedRef + ")"
	}
	fmt.Fprintf(w, "\n  ref:       %s\n", ref)
	printSourceExtras(w, s)
	if s.LastAppliedCommit != "" {
		fmt.Fprintf(w, "  applied:   %s %s — %s (%s, %s)\n", short12(s.LastAppliedCommit), firstLine(s.LastAppliedMessage), s.LastAppliedAuthor,
			s.LastAppliedAt.Local().Format("2006-01-02 15:04:05"), plural(s.Objects, "object"))
	} else {
		fmt.Fprintf(w, "  applied:   nothing yet\n")
	}
	if s.LastAttemptedCommit != "" && (s.LastAttemptedCommit != s.LastAppliedCommit || len(s.Errors) > 0) {
		fmt.Fprintf(w, "  attempted: %s %s%s (%s)\n", short12(s.LastAttemptedCommit), firstLine(s.LastAttemptedMessage), byAuthor(s.LastAttemptedAuthor), s.LastAttemptedAt.Local().Format("2006-01-02 15:04:05"))
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "  errors:    %s; nothing of that commit was applied, the last good commit keeps running\n", plural(len(s.Errors), "error"))
		for _, e := range s.Errors {
			fmt.Fprintf(w, "    %s\n", e)
		}
	}
}

func short12(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return fmt.Sprintf("%q", s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
