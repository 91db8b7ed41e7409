package scalebench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
)

// StoreComparison is issue 12's "commit → running on etcd at most 1.5×
// the Badger figure in the same run": the commit phase measured Rounds
// times on each engine, alternating, with the same layout, on the same
// machine at the same time.
type StoreComparison struct {
	Command           string     `json:"command"`
	LoadAverageBefore string     `json:"loadAverageBefore"`
	LoadAverageAfter  string     `json:"loadAverageAfter"`
	EtcdMembers       int        `json:"etcdMembers"`
	Runs              []StoreRun `json:"runs"`
	// Medians of the commit phase (commit → every pod Running), seconds;
	// Ratio is etcd's over Badger's (0 when either is unknown).
	BadgerSeconds float64 `json:"badgerSeconds"`
	EtcdSeconds   float64 `json:"etcdSeconds"`
	Ratio         float64 `json:"ratio"`
	// EtcdCPUSeconds is this process's CPU time over the run: the embedded
	// etcd members (the controllers' CPU is in each run's SizeResult).
	EtcdCPUSeconds float64 `json:"etcdCPUSeconds"`
}

// StoreRun is one controller's run on one engine.
type StoreRun struct {
	Engine string     `json:"engine"` // "badger" or "etcd"
	Round  int        `json:"round"`
	Size   SizeResult `json:"size"`
}

// CommitMedians returns the median commit-phase seconds (until the last
// pod was seen Running; the phase's Seconds for a result without it) of each engine's
// runs that completed the phase (0 when none did) and etcd's ratio to
// Badger's (0 when either is 0).
func CommitMedians(runs []StoreRun) (badger, etcd, ratio float64) {
	by := map[string][]float64{}
	for _, r := range runs {
		if p := r.Size.Phase(PhaseCommit); p != nil && p.Done {
			by[r.Engine] = append(by[r.Engine], cmp.Or(p.LastRunningSeconds, p.Seconds))
		}
	}
	median := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		return Percentile(v, 50)
	}
	badger, etcd = median(by["badger"]), median(by["etcd"])
	if badger > 0 && etcd > 0 {
		ratio = etcd / badger
	}
	return badger, etcd, ratio
}

// CompareStores starts an etcd cluster of members embedded in this
// process (reconcile/store/etcdtest: real members on loopback ports, data
// under cfg.WorkDir), then for each round runs the first of cfg.Sizes
// twice: a controller on Badger, and one with --store etcd on that cluster
// (a fresh --etcd-prefix per round, so each starts empty). Only the nodes
// and commit phases run. Processes and members are stopped whatever
// happens.
func CompareStores(ctx context.Context, cfg Config, members, rounds int) (StoreComparison, error) {
	res := StoreComparison{Command: cfg.Command, LoadAverageBefore: LoadAverage(), EtcdMembers: members}
	if len(cfg.Sizes) == 0 {
		return res, fmt.Errorf("compare stores: no size")
	}
	cpu0 := selfCPU()
	cluster, err := etcdtest.Start(filepath.Join(cfg.WorkDir, "etcd"), members)
	if err != nil {
		return res, fmt.Errorf("compare stores: start %d etcd members: %w", members, err)
	}
	defer cluster.Stop()
	cli, err := clientv3.New(clientv3.Config{Endpoints: cluster.Endpoints(), DialTimeout: 10 * time.Second})
	if err != nil {
		return res, fmt.Errorf("compare stores: etcd client: %w", err)
	}
	defer cli.Close()
	skip := map[string]bool{PhaseIdle: true, PhaseFanout: true, PhaseRollout: true, PhaseNodeLoss: true}
	base := cfg
	base.Skip = skip
	nodes := cfg.Sizes[0]
	wide := hasFlag(ctx, cfg.Binary, "controller", "cluster-cidr")
	for round := 1; round <= rounds && ctx.Err() == nil; round++ {
		for _, engine := range []string{"badger", "etcd"} {
			c := base
			c.WorkDir = filepath.Join(cfg.WorkDir, fmt.Sprintf("%s-%d", engine, round))
			if engine == "etcd" {
				c.ControllerArgs = append(slices.Clone(cfg.ControllerArgs), "--store", "etcd",
					"--etcd-endpoints", strings.Join(cluster.Endpoints(), ","),
					"--etcd-prefix", fmt.Sprintf("/bench-%d/", round))
				c.StoreEntries = headOf(cli, fmt.Sprintf("/bench-%d/head", round))
			}
			sr := runSize(ctx, c, nodes, wide)
			res.Runs = append(res.Runs, StoreRun{Engine: engine, Round: round, Size: sr})
			if p := sr.Phase(PhaseCommit); p != nil {
				cfg.Log.Info("compare stores", "engine", engine, "round", round, "commitSeconds", cmp.Or(p.LastRunningSeconds, p.Seconds), "done", p.Done,
					"stages", p.Stages, "storeEntries", p.StoreEntries, "error", p.Error+sr.Error)
			}
		}
	}
	res.BadgerSeconds, res.EtcdSeconds, res.Ratio = CommitMedians(res.Runs)
	res.LoadAverageAfter = LoadAverage()
	res.EtcdCPUSeconds = (selfCPU() - cpu0).Seconds()
	return res, ctx.Err()
}

// headOf counts the entries of the store log whose head is key: its
// value, the last entry's number (0 before the first).
func headOf(cli *clientv3.Client, key string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		r, err := cli.Get(ctx, key)
		if err != nil || len(r.Kvs) == 0 {
			return 0, err
		}
		return strconv.Atoi(string(r.Kvs[0].Value))
	}
}

// selfCPU is this process's user and system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// WriteComparison writes the comparison as indented JSON ("" path:
// nothing).
func WriteComparison(path string, c StoreComparison) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("store comparison result: %w", err)
	}
	return nil
}
