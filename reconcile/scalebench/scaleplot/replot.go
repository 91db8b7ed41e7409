package scaleplot

import (
	"fmt"

	"github.com/reconcile-dev/reconcile/reconcile/scalebench"
)

// Replot reads the JSON results of `reconcile bench scale` (several runs
// of separate sizes are merged by size, a later file winning: ReadJSON),
// writes the merged result to out when out is not empty, and plots it
// into dir. It returns the merged result and the plot files written.
func Replot(files []string, out, dir string) (scalebench.Result, []string, error) {
	if len(files) == 0 {
		return scalebench.Result{}, nil, fmt.Errorf("no result to plot: name the JSON files `reconcile bench scale --out` wrote")
	}
	res, err := scalebench.ReadJSON(files)
	if err != nil {
		return res, nil, err
	}
	if out != "" {
		if err := scalebench.WriteJSON(out, res); err != nil {
			return res, nil, err
		}
	}
	written, err := WritePlots(dir, Plots(res.Sizes))
	return res, written, err
}
