package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/scalebench"
	"github.com/reconcile-dev/reconcile/reconcile/scalebench/scaleplot"
)

// TestE2EBenchScale runs `reconcile bench scale` at a tiny size (5
// simulated nodes, 50 pods) with the real binary: every phase must finish,
// and the JSON result must be written and plot (scaleplot, what
// cmd/reconcile-plot runs). Timings are recorded, never asserted.
func TestE2EBenchScale(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("end-to-end test: needs root like the other e2e tests (run as root)")
	}
	needE2EBinary(t) // simulated nodes need no Podman
	dir := t.TempDir()
	out, plots := filepath.Join(dir, "result.json"), filepath.Join(dir, "plots")
	cmd := exec.Command(env.bin, "bench", "scale", "--binary", env.bin, "--work", filepath.Join(dir, "work"),
		"--sizes", "5", "--pods-per-node", "10", "--pods-per-deployment", "25", "--lose-nodes", "1",
		"--heartbeat", "2s", "--node-monitor-grace-period", "8s", "--default-toleration-seconds", "2",
		"--idle", "3s", "--timeout", "3m", "--fanout-samples", "5", "--fanout-watchers", "3",
		"--out", out)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir)
	log, err := cmd.CombinedOutput()
	t.Logf("bench scale:\n%s", log)
	if err != nil {
		t.Fatalf("bench scale: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res scalebench.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Sizes) != 1 || res.Sizes[0].Nodes != 5 || res.Sizes[0].Pods != 50 || res.Sizes[0].Error != "" {
		t.Fatalf("result: %s", b)
	}
	s := res.Sizes[0]
	for _, name := range scalebench.Phases {
		p := s.Phase(name)
		if p == nil || !p.Done {
			t.Errorf("phase %s did not finish: %+v", name, p)
		}
	}
	if p := s.Phase(scalebench.PhaseFanout); p == nil || p.Latency == nil || p.Latency.Samples+p.Latency.Missed != 5 {
		t.Errorf("fan-out phase: %+v", p)
	}
	if s.ControllerPeakRSSBytes <= 0 || s.StoreBytes <= 0 || s.Phase(scalebench.PhaseCommit).APIRequestsPerSecond <= 0 {
		t.Errorf("controller figures missing: peak RSS %d, store %d, commit phase %+v", s.ControllerPeakRSSBytes, s.StoreBytes, s.Phase(scalebench.PhaseCommit))
	}
	// The plots are drawn outside the product binary (cmd/reconcile-plot,
	// as make bench-scale does) from the JSON result it wrote.
	if _, _, err := scaleplot.Replot([]string{out}, "", plots); err != nil {
		t.Errorf("plotting the result: %v", err)
	}
	for _, f := range []string{"scale-throughput.svg", "scale-time.svg", "scale-latency.svg"} {
		if _, err := os.Stat(filepath.Join(plots, f)); err != nil {
			t.Errorf("plot: %v", err)
		}
	}
}
