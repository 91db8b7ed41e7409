package scaleplot

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/scalebench"
)

// TestPlots (over the result of scalebench's golden file): only finished phases give points, so the line of a phase
// stops at the size where the controller broke.
func TestPlots(t *testing.T) {
	res, err := scalebench.ReadJSON([]string{"../testdata/result.golden"})
	if err != nil {
		t.Fatal(err)
	}
	specs := Plots(res.Sizes)
	got := map[string][]Point{}
	for _, spec := range specs {
		for _, s := range spec.Series {
			got[spec.File+" "+s.Name] = s.Points
		}
	}
	want := map[string][]Point{
		"scale-throughput.svg commit":                  {{100, 500}},
		"scale-throughput.svg rolling update":          {{100, 300}},
		"scale-throughput.svg node loss":               {{100, 100}},
		"scale-time.svg commit → all Running":          {{100, 20}},
		"scale-time.svg rolling update → all replaced": {{100, 40}},
		"scale-time.svg nodes lost → all rescheduled":  {{100, 60}},
		"scale-latency.svg p50":                        {{100, 12}},
		"scale-latency.svg p99":                        {{100, 40}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plots:\n got %v\nwant %v", got, want)
	}
	for _, spec := range specs {
		if want := []float64{100, 1000, 2000}; !reflect.DeepEqual(spec.Sizes, want) {
			t.Errorf("%s spans %v, want every size measured %v", spec.File, spec.Sizes, want)
		}
	}
}

func TestSpan(t *testing.T) {
	for _, tc := range []struct {
		spec   PlotSpec
		lo, hi float64
		ok     bool
	}{
		{PlotSpec{Sizes: []float64{100, 500, 1000}, Series: []Series{{Points: []Point{{100, 3}}}}}, 100, 1000, true},
		{PlotSpec{Series: []Series{{Points: []Point{{100, 3}}}}}, 100, 100, false},
		{PlotSpec{}, 0, 0, false},
	} {
		lo, hi, ok := span(tc.spec)
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("span(%+v) = %v, %v, %v; want %v, %v, %v", tc.spec, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}

// TestWritePlots renders with gonum/plot; a plot without points is left
// out.
func TestWritePlots(t *testing.T) {
	dir := t.TempDir()
	specs := []PlotSpec{
		{File: "a.svg", Title: "two sizes", YLabel: "pods/s", Series: []Series{{Name: "commit", Points: []Point{{100, 500}, {1000, 200}}}, {Name: "empty"}}},
		{File: "b.svg", Title: "one size", YLabel: "ms", Series: []Series{{Name: "p50", Points: []Point{{100, 12}}}}},
		{File: "c.svg", Title: "nothing finished", Series: []Series{{Name: "p50"}}},
	}
	files, err := WritePlots(dir, specs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "a.svg"), filepath.Join(dir, "b.svg")}; !reflect.DeepEqual(files, want) {
		t.Errorf("written %v, want %v", files, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "a.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", "two sizes", "simulated nodes", "commit"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("a.svg lacks %q", s)
		}
	}
}

// TestReplot merges two result files by size into out and plots them; no
// file is an error that says what to pass.
func TestReplot(t *testing.T) {
	dir := t.TempDir()
	golden := "../testdata/result.golden"
	small := filepath.Join(dir, "small.json")
	if err := scalebench.WriteJSON(small, scalebench.Result{Sizes: []scalebench.SizeResult{{Nodes: 500, Pods: 15000}}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "merged.json")
	res, files, err := Replot([]string{golden, small}, out, filepath.Join(dir, "plots"))
	if err != nil {
		t.Fatal(err)
	}
	var nodes []int
	for _, s := range res.Sizes {
		nodes = append(nodes, s.Nodes)
	}
	if want := []int{100, 500, 1000, 2000}; !reflect.DeepEqual(nodes, want) {
		t.Errorf("merged sizes %v, want %v", nodes, want)
	}
	if back, err := scalebench.ReadJSON([]string{out}); err != nil || len(back.Sizes) != 4 {
		t.Errorf("merged result not written to %s: %v %+v", out, err, back)
	}
	if len(files) != 3 {
		t.Errorf("plots written %v, want the three of the golden result", files)
	}
	if _, _, err := Replot(nil, "", dir); err == nil || !strings.Contains(err.Error(), "bench scale --out") {
		t.Errorf("Replot of no file: err = %v", err)
	}
}
