// Command reconcile-plot draws the plots of `reconcile bench scale`'s JSON
// results (scale-throughput.svg, scale-time.svg, scale-latency.svg). It is
// not part of the product binary, which would otherwise link gonum/plot
// and its fonts into every controller and agent (reconcile/scalebench/scaleplot).
//
//	go run ./cmd/reconcile-plot --plots docs docs/scale-result.json
//	go run ./cmd/reconcile-plot --plots docs --out merged.json a.json b.json
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/scalebench/scaleplot"
)

func main() {
	if err := newPlotCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

// newPlotCmd wires the flags to scaleplot.Replot.
func newPlotCmd() *cobra.Command {
	var out, dir string
	cmd := &cobra.Command{
		Use:   "reconcile-plot [--out MERGED.json] [--plots DIR] RESULT.json...",
		Short: "Plot the JSON results of `reconcile bench scale` against cluster size (several runs are merged by size, later files win)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			res, written, err := scaleplot.Replot(files, out, dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d sizes; plots %s\n", len(res.Sizes), strings.Join(written, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the merged result here (none when empty)")
	cmd.Flags().StringVar(&dir, "plots", "docs", "directory for the SVG plots")
	return cmd
}
