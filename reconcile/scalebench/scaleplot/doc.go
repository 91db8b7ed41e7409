// Package scaleplot draws the scale benchmark's plots (scheduling
// throughput, time to every pod Running, watch fan-out latency, each
// against cluster size) from its JSON results, with gonum.org/v1/plot.
//
// It is a package of its own, run by cmd/reconcile-plot (`make
// bench-scale`), so that the product binary does not link gonum/plot:
// its package init parses a dozen embedded fonts and its 5 MB of font data
// and code were resident in every controller, agent and CLI process
// (BENCHMARKS.md, "Issue 13: memory (round 4)"). Plots is pure (results →
// series); WritePlots renders them; Replot merges result files and does
// both.
package scaleplot
