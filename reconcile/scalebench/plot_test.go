package scalebench

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestPlots: only finished phases give points, so the line of a phase
// stops at the size where the controller broke.
func TestPlots(t *testing.T) {
	specs := Plots(sampleResult().Sizes)
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
