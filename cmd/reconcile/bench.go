package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/scalebench"
)

// newBenchCmd is `reconcile bench`: measurements of the product itself.
func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks of the product: `bench scale` (issue 13)"}
	cmd.AddCommand(newBenchScaleCmd())
	return cmd
}

// newBenchScaleCmd wires the flags of `reconcile bench scale` to
// scalebench.Run.
func newBenchScaleCmd() *cobra.Command {
	cfg := scalebench.Config{}
	var skip []string
	var compareMembers, rounds int
	cmd := &cobra.Command{
		Use:   "scale",
		Short: "Start a controller and simulated nodes at each size, commit Deployments, and measure scheduling, latency, CPU and memory",
		Long: `bench scale runs the real controller (this binary, or --binary) and simulated nodes (agent --simulate) for each
size in --sizes, commits Deployments of --pods-per-node pods per node to a git repo the controller syncs, and
measures phase by phase: nodes Ready, idle CPU with every node heartbeating, commit -> every pod Running
(pods bound per second), watch fan-out latency of pod status writes, a rolling update of every Deployment, and
the loss of part of the fleet at once. Every phase gives up after --timeout and records what it reached.
The JSON result (--out) is rewritten after each size; reconcile-plot (go run ./cmd/reconcile-plot --plots DIR RESULT.json,
as make bench-scale does) draws throughput and latency against size from it, and merges results of separate runs.
Heavy: thousands of nodes take several GiB and every core of the machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.Skip, err = scalebench.ParseSkip(skip); err != nil {
				return err
			}
			if cfg.Binary == "" {
				if cfg.Binary, err = os.Executable(); err != nil {
					return err
				}
			}
			if cfg.WorkDir == "" {
				if cfg.WorkDir, err = os.MkdirTemp("", "reconcile-bench-scale-"); err != nil {
					return err
				}
			}
			cfg.Command = "reconcile " + strings.Join(os.Args[1:], " ")
			cfg.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			if compareMembers > 0 {
				cmp, err := scalebench.CompareStores(cmd.Context(), cfg, compareMembers, rounds)
				if werr := scalebench.WriteComparison(cfg.Out, cmp); err == nil {
					err = werr
				}
				fmt.Fprintf(cmd.OutOrStdout(), "commit -> running, median of %d: badger %.2f s, etcd (%d members) %.2f s, ratio %.2f; result in %s, logs under %s\n",
					rounds, cmp.BadgerSeconds, compareMembers, cmp.EtcdSeconds, cmp.Ratio, cfg.Out, cfg.WorkDir)
				return err
			}
			res, err := scalebench.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d sizes measured; result in %s, logs under %s\n", len(res.Sizes), cfg.Out, cfg.WorkDir)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&cfg.Sizes, "sizes", []int{100, 500, 1000, 2000, 5000}, "simulated nodes of each run, in order")
	fl.IntVar(&cfg.PodsPerNode, "pods-per-node", 30, "pods committed per node (Kubernetes' 150,000 pods on 5,000 nodes)")
	fl.IntVar(&cfg.PodsPerDeployment, "pods-per-deployment", 100, "replicas of each Deployment")
	fl.IntVar(&cfg.LoseNodes, "lose-nodes", 500, "nodes stopped at once in the nodeloss phase (at most a tenth of the size)")
	fl.DurationVar(&cfg.PhaseTimeout, "timeout", 5*time.Minute, "each phase gives up after this and records what it reached")
	fl.StringSliceVar(&skip, "skip", nil, "phases to leave out: idle, commit, fanout, rollout, nodeloss")
	fl.DurationVar(&cfg.Idle, "idle", 30*time.Second, "how long the controller's CPU is measured with every node idle (heartbeat cost)")
	fl.IntVar(&cfg.FanoutWatchers, "fanout-watchers", 8, "watches of one node's pods that every timed status write must reach")
	fl.IntVar(&cfg.FanoutSamples, "fanout-samples", 50, "pod status writes timed in the fanout phase")
	fl.DurationVar(&cfg.Heartbeat, "heartbeat", 10*time.Second, "the simulated nodes' --node-status-update-frequency")
	fl.DurationVar(&cfg.NodeGracePeriod, "node-monitor-grace-period", 40*time.Second, "the controller's --node-monitor-grace-period: lost nodes go NotReady after it")
	fl.IntVar(&cfg.TolerationSeconds, "default-toleration-seconds", 5, "the controller's --default-toleration-seconds: the pods of NotReady nodes are evicted after it")
	fl.DurationVar(&cfg.Resync, "simulate-resync-interval", time.Minute, "the simulators' --simulate-resync-interval (watches still wake them at once)")
	fl.StringVar(&cfg.Out, "out", "bench-scale.json", "the JSON result, one record per size")
	fl.StringVar(&cfg.Binary, "binary", "", "the reconcile binary run as controller and simulators (default: this one)")
	fl.IntVar(&compareMembers, "compare-stores", 0, "measure commit -> running on Badger and on --store etcd with this many etcd members (embedded in this process), --rounds times each, at the first of --sizes (issue 12)")
	fl.IntVar(&rounds, "rounds", 3, "--compare-stores: runs per engine (the median is reported)")
	fl.StringVar(&cfg.WorkDir, "work", "", "directory for each size's repo, data and logs, kept after the run (default: a new temporary directory)")
	return cmd
}
