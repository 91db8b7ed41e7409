package scalebench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestBlocked(t *testing.T) {
	done := Phase{Done: true}
	failed := Phase{Error: "timed out"}
	skipped := Phase{Skipped: "--skip"}
	named := func(name string, p Phase) Phase { p.Name = name; return p }
	for _, tc := range []struct {
		phase string
		done  []Phase
		want  string
	}{
		{PhaseIdle, []Phase{named(PhaseNodes, done)}, ""},
		{PhaseCommit, []Phase{named(PhaseNodes, failed), named(PhaseIdle, Phase{Skipped: "after nodes did not finish"})}, "after nodes did not finish"},
		{PhaseFanout, []Phase{named(PhaseNodes, done), named(PhaseCommit, failed)}, "after commit did not finish"},
		{PhaseRollout, []Phase{named(PhaseNodes, done), named(PhaseCommit, skipped)}, ""},
		{PhaseNodeLoss, []Phase{named(PhaseNodes, done), named(PhaseCommit, done), named(PhaseRollout, skipped)}, ""},
		{PhaseNodeLoss, []Phase{named(PhaseNodes, done), named(PhaseCommit, done), named(PhaseRollout, failed)}, "after rollout did not finish"},
		{PhaseNodeLoss, []Phase{named(PhaseNodes, failed), named(PhaseCommit, Phase{Skipped: "after nodes did not finish"}),
			named(PhaseRollout, Phase{Skipped: "after nodes did not finish"})}, "after nodes did not finish"},
		{PhaseNodes, nil, ""},
	} {
		if got := Blocked(tc.phase, tc.done); got != tc.want {
			t.Errorf("Blocked(%s, %+v) = %q, want %q", tc.phase, tc.done, got, tc.want)
		}
	}
}

func TestParseSkip(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  int
		err   string
	}{
		{nil, 0, ""},
		{[]string{"rollout", "nodeloss"}, 2, ""},
		{[]string{"roll"}, 0, `--skip "roll": not a phase; the phases are nodes, idle, commit, fanout, rollout, nodeloss`},
		{[]string{"nodes"}, 0, "--skip nodes: that phase starts the simulated nodes every other phase needs"},
	} {
		got, err := ParseSkip(tc.names)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSkip(%v) err = %v, want %q", tc.names, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != tc.want {
			t.Errorf("ParseSkip(%v) = %v, %v; want %d phases", tc.names, got, err, tc.want)
		}
	}
}

// sampleResult is a run of two sizes: one complete, one where the
// controller broke in the commit phase.
func sampleResult() Result {
	return Result{Command: "reconcile bench scale --sizes 100,1000", CPUs: 2, LoadAverageBefore: "1.00 1.00 1.00", LoadAverageAfter: "2.00 1.50 1.10",
		Sizes: []SizeResult{
			{Nodes: 100, Pods: 3000, Deployments: 30, PodsPerNode: 30, NodeCIDRMaskSize: 26, LostNodes: 10,
				Phases: []Phase{
					{Name: PhaseNodes, Done: true, Seconds: 4, Target: 100, Reached: 100, ControllerCPUSeconds: 1, ControllerCPUPercent: 25, ControllerPeakRSSBytes: 200 << 20, APIRequestsPerSecond: 50},
					{Name: PhaseIdle, Done: true, Seconds: 30, ControllerCPUSeconds: 0.6, ControllerCPUPercent: 2, ControllerPeakRSSBytes: 210 << 20, APIRequestsPerSecond: 20},
					{Name: PhaseCommit, Done: true, Seconds: 20, Target: 3000, Reached: 3000, PodsBoundPerSecond: 500, ControllerCPUSeconds: 18, ControllerCPUPercent: 90, ControllerPeakRSSBytes: 600 << 20, APIRequestsPerSecond: 400},
					{Name: PhaseFanout, Done: true, Seconds: 2, Target: 50, Reached: 50, ControllerCPUPercent: 40, ControllerPeakRSSBytes: 600 << 20, APIRequestsPerSecond: 100,
						Latency: &Latency{Samples: 50, Watchers: 8, P50Ms: 12, P99Ms: 40, MaxMs: 41, WriteP50Ms: 5}},
					{Name: PhaseRollout, Done: true, Seconds: 40, Target: 3000, Reached: 3000, PodsBoundPerSecond: 300, ControllerCPUPercent: 95, ControllerPeakRSSBytes: 800 << 20, APIRequestsPerSecond: 300},
					{Name: PhaseNodeLoss, Done: true, Seconds: 60, Target: 3000, Reached: 3000, PodsBoundPerSecond: 100, ControllerCPUPercent: 30, ControllerPeakRSSBytes: 800 << 20, APIRequestsPerSecond: 60},
				},
				ControllerCPUSeconds: 120, ControllerPeakRSSBytes: 800 << 20, SimulatorPeakRSSBytes: 100 << 20, StoreBytes: 50 << 20},
			{Nodes: 1000, Pods: 30000, Deployments: 300, PodsPerNode: 30, NodeCIDRMaskSize: 26, LostNodes: 100,
				Phases: []Phase{
					{Name: PhaseNodes, Done: true, Seconds: 30, Target: 1000, Reached: 1000, ControllerCPUPercent: 90},
					{Name: PhaseIdle, Done: true, Seconds: 30, ControllerCPUPercent: 55},
					{Name: PhaseCommit, Error: "timed out after 5m0s with 3000 of 30000", Seconds: 300, Target: 30000, Reached: 3000,
						Pods: &PodCounts{Created: 9000, Bound: 5000, Running: 3000}, PodsBoundPerSecond: 20, ControllerCPUPercent: 99},
					{Name: PhaseFanout, Skipped: "after commit did not finish"},
					{Name: PhaseRollout, Skipped: "after commit did not finish"},
					{Name: PhaseNodeLoss, Skipped: "after commit did not finish"},
				},
				ControllerCPUSeconds: 400, ControllerPeakRSSBytes: 3 << 30, SimulatorPeakRSSBytes: 400 << 20, StoreBytes: 300 << 20},
			{Nodes: 2000, PodsPerNode: 30, Error: "scale layout: 2000 nodes with a /26 pod subnet each do not fit"},
		}}
}

// TestResultJSON: the shape of the JSON result (what the lead and plots
// read), as a golden file.
func TestResultJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "result.json")
	if err := WriteJSON(path, sampleResult()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "testdata/result.golden", b)
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || len(back.Sizes) != 3 || back.Sizes[0].Phase(PhaseFanout).Latency.P99Ms != 40 {
		t.Errorf("the result does not read back: %v %+v", err, back)
	}
	if err := WriteJSON(filepath.Join(t.TempDir(), "no", "dir.json"), sampleResult()); err == nil || !strings.Contains(err.Error(), "scale benchmark result") {
		t.Errorf("writing into a missing directory: err = %v", err)
	}
}

// TestReadJSON merges two runs by size, the later file winning.
func TestReadJSON(t *testing.T) {
	dir := t.TempDir()
	first, second := sampleResult(), sampleResult()
	second.Sizes = []SizeResult{{Nodes: 500, Pods: 15000}, {Nodes: 100, Pods: 1}}
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := WriteJSON(a, first); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(b, second); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []int
	for _, s := range got.Sizes {
		nodes = append(nodes, s.Nodes)
	}
	if want := []int{100, 500, 1000, 2000}; !slices.Equal(nodes, want) || got.Sizes[0].Pods != 1 {
		t.Errorf("merged sizes %v (100 nodes: %d pods), want %v with the second file's 100", nodes, got.Sizes[0].Pods, want)
	}
	os.WriteFile(a, []byte("{"), 0o644)
	if _, err := ReadJSON([]string{a}); err == nil || !strings.Contains(err.Error(), "not a scale benchmark result") {
		t.Errorf("bad JSON: err = %v", err)
	}
}
