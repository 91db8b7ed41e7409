package scaleplot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/reconcile-dev/reconcile/reconcile/scalebench"
)

// Point is one measurement against cluster size (X: nodes).
type Point struct{ X, Y float64 }

// Series is one line of a plot.
type Series struct {
	Name   string
	Points []Point
}

// PlotSpec is one plot: its file name (under the plot directory), title,
// y axis and lines. The x axis is always the number of nodes.
type PlotSpec struct {
	File, Title, YLabel string
	Series              []Series
	Sizes               []float64 // every size measured: the x axis spans them all, finished or not
}

// Plots turns results into the benchmark's plots: scheduling throughput,
// time to every pod Running, and watch fan-out latency, each against
// cluster size. Only phases that finished give points: a size where the
// controller broke shows as a line that stops.
func Plots(sizes []scalebench.SizeResult) []PlotSpec {
	series := func(name, phase string, y func(*scalebench.Phase) float64) Series {
		s := Series{Name: name}
		for i := range sizes {
			if p := sizes[i].Phase(phase); p != nil && p.Done {
				s.Points = append(s.Points, Point{X: float64(sizes[i].Nodes), Y: y(p)})
			}
		}
		return s
	}
	var all []float64
	for _, s := range sizes {
		all = append(all, float64(s.Nodes))
	}
	bound := func(p *scalebench.Phase) float64 { return p.PodsBoundPerSecond }
	secs := func(p *scalebench.Phase) float64 { return p.Seconds }
	specs := []PlotSpec{
		{File: "scale-throughput.svg", Title: "Scheduling throughput (simulated nodes)", YLabel: "pods bound per second",
			Series: []Series{
				series("commit", scalebench.PhaseCommit, bound),
				series("rolling update", scalebench.PhaseRollout, bound),
				series("node loss", scalebench.PhaseNodeLoss, bound),
			}},
		{File: "scale-time.svg", Title: "Time until every pod is Running", YLabel: "seconds",
			Series: []Series{
				series("commit → all Running", scalebench.PhaseCommit, secs),
				series("rolling update → all replaced", scalebench.PhaseRollout, secs),
				series("nodes lost → all rescheduled", scalebench.PhaseNodeLoss, secs),
			}},
		{File: "scale-latency.svg", Title: "Watch fan-out: pod status write → every watcher", YLabel: "milliseconds",
			Series: []Series{
				series("p50", scalebench.PhaseFanout, func(p *scalebench.Phase) float64 { return p.Latency.P50Ms }),
				series("p99", scalebench.PhaseFanout, func(p *scalebench.Phase) float64 { return p.Latency.P99Ms }),
			}},
	}
	for i := range specs {
		specs[i].Sizes = all
	}
	return specs
}

// WritePlots renders each spec as SVG into dir and returns the files
// written; a plot without any point is not written (nothing finished).
func WritePlots(dir string, specs []PlotSpec) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var written []string
	for _, spec := range specs {
		var lines []any
		for _, s := range spec.Series {
			if len(s.Points) == 0 {
				continue
			}
			xys := make(plotter.XYs, len(s.Points))
			for i, p := range s.Points {
				xys[i] = plotter.XY{X: p.X, Y: p.Y}
			}
			lines = append(lines, s.Name, xys)
		}
		if len(lines) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = spec.Title
		p.X.Label.Text = "simulated nodes"
		p.Y.Label.Text = spec.YLabel
		if lo, hi, ok := span(spec); ok {
			p.X.Scale = plot.LogScale{} // 100 to 5,000 nodes
			p.X.Tick.Marker = plot.LogTicks{Prec: -1}
			p.X.Min, p.X.Max = lo/1.25, hi*1.25
		}
		p.Y.Min = 0
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		if err := plotutil.AddLinePoints(p, lines...); err != nil {
			return written, fmt.Errorf("plot %s: %w", spec.File, err)
		}
		path := filepath.Join(dir, spec.File)
		if err := p.Save(7*vg.Inch, 4*vg.Inch, path); err != nil {
			return written, fmt.Errorf("plot %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// span is the range of sizes of a plot, ok when there are at least two
// (a log scale of a single x value has no range).
func span(spec PlotSpec) (lo, hi float64, ok bool) {
	xs := slices.Clone(spec.Sizes)
	for _, s := range spec.Series {
		for _, p := range s.Points {
			xs = append(xs, p.X)
		}
	}
	if len(xs) == 0 {
		return 0, 0, false
	}
	lo, hi = slices.Min(xs), slices.Max(xs)
	return lo, hi, lo < hi && lo > 0
}
