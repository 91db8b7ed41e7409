package scalebench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/hollow"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
)

// Config is one run of the benchmark (the flags of `reconcile bench
// scale`).
type Config struct {
	Binary            string        // the reconcile binary to start (the controller and the simulators)
	WorkDir           string        // each size in WorkDir/nodes-N: repo, data, simulators' data, logs (kept)
	Sizes             []int         // simulated nodes per run
	PodsPerNode       int           // pods committed per node
	PodsPerDeployment int           // replicas of each Deployment (the last one holds the rest)
	LoseNodes         int           // nodes stopped at once in the node-loss phase (at most a tenth of the nodes)
	PhaseTimeout      time.Duration // each phase gives up after this and records what it reached
	Skip              map[string]bool
	Idle              time.Duration // the idle window over which heartbeat cost is measured
	FanoutWatchers    int           // watches of one node's pods during the fan-out samples
	FanoutSamples     int           // pod status writes timed
	Heartbeat         time.Duration // the simulated agents' --node-status-update-frequency
	NodeGracePeriod   time.Duration // the controller's --node-monitor-grace-period
	TolerationSeconds int           // the controller's --default-toleration-seconds
	Resync            time.Duration // the simulators' --simulate-resync-interval
	Out               string        // the JSON result ("" none), rewritten after every size
	Command           string        // the command line, recorded in the result
	ControllerArgs    []string      // more flags for the controller (CompareStores: --store etcd …)
	// StoreEntries, when set, counts the store's log entries so far
	// (CompareStores on etcd: the head of the run's prefix); each phase
	// records how many it appended.
	StoreEntries func(context.Context) (int, error)
	Log          *slog.Logger
}

// Run measures every size in turn, writing Out after each (cmd/reconcile-plot
// plots it). A size that fails records its error and the next one runs;
// the error returned is for the run itself (the result could not be
// written).
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.Log = cmp.Or(cfg.Log, slog.Default())
	res := Result{Command: cfg.Command, CPUs: runtime.NumCPU(), LoadAverageBefore: LoadAverage()}
	wide := hasFlag(ctx, cfg.Binary, "controller", "cluster-cidr")
	for _, n := range cfg.Sizes {
		if ctx.Err() != nil {
			break
		}
		sr := runSize(ctx, cfg, n, wide)
		res.Sizes = append(res.Sizes, sr)
		res.LoadAverageAfter = LoadAverage()
		if err := WriteJSON(cfg.Out, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// ReadJSON reads results written by WriteJSON and merges their sizes,
// ordered by nodes (a later file's record of a size replaces an earlier
// one's): runs of separate sizes plotted together (scaleplot.Replot).
func ReadJSON(paths []string) (Result, error) {
	var merged Result
	bySize := map[int]SizeResult{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return merged, err
		}
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return merged, fmt.Errorf("%s: not a scale benchmark result: %w", path, err)
		}
		if merged.Command == "" {
			merged = Result{Command: r.Command, CPUs: r.CPUs, LoadAverageBefore: r.LoadAverageBefore}
		}
		merged.LoadAverageAfter = r.LoadAverageAfter
		for _, s := range r.Sizes {
			bySize[s.Nodes] = s
		}
	}
	for _, n := range slices.Sorted(maps.Keys(bySize)) {
		merged.Sizes = append(merged.Sizes, bySize[n])
	}
	return merged, nil
}

// WriteJSON writes the result, indented ("" path: nothing).
func WriteJSON(path string, res Result) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("scale benchmark result: %w", err)
	}
	return nil
}

// sizeRun is one size being measured.
type sizeRun struct {
	cfg        Config
	layout     Layout
	dir        string
	ctl        *process
	sims       [2]*process // the nodes that stay, the nodes lost in the node-loss phase
	client     *apiclient.Client
	metrics    string // the controller's /metrics address
	pods       *tracker
	res        *SizeResult
	revision   int             // the revision of the pods committed last
	lost       map[string]bool // nodes stopped by the node-loss phase
	simPeakRSS int64
	latency    *Latency      // the fan-out phase's
	killedCPU  time.Duration // the killed simulator's CPU time when it was killed
}

// simPrefix names the simulated nodes.
const simPrefix = "hollow"

// runSize measures one size; processes are stopped whatever happens.
// The result is named: stop, deferred, records the totals into it.
func runSize(ctx context.Context, cfg Config, nodes int, wide bool) (sr SizeResult) {
	sr = SizeResult{Nodes: nodes, PodsPerNode: cfg.PodsPerNode}
	l, err := PlanLayout(nodes, cfg.PodsPerNode, cfg.PodsPerDeployment, cfg.LoseNodes, wide)
	if err != nil {
		sr.Error = err.Error()
		return sr
	}
	sr.Pods, sr.Deployments, sr.NodeCIDRMaskSize, sr.ClusterCIDR, sr.LostNodes = l.Pods, len(l.Replicas), l.NodeMask, l.ClusterCIDR, l.LostNodes
	s := &sizeRun{cfg: cfg, layout: l, dir: filepath.Join(cfg.WorkDir, fmt.Sprintf("nodes-%d", nodes)), res: &sr, pods: newTracker(time.Now)}
	cfg.Log.Info("scale benchmark: size", "nodes", nodes, "pods", l.Pods, "deployments", len(l.Replicas), "dir", s.dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer s.stop()
	if err := s.start(ctx); err != nil {
		sr.Error = err.Error()
		return sr
	}
	go s.pods.follow(ctx, s.client)
	s.run(ctx, PhaseNodes, nodes, s.nodesReady)
	s.run(ctx, PhaseIdle, 0, s.idle)
	s.run(ctx, PhaseCommit, l.Pods, func(ctx context.Context) (int, error) { return s.commit(ctx, 1, "commit") })
	s.run(ctx, PhaseFanout, cfg.FanoutSamples, s.fanout)
	s.run(ctx, PhaseRollout, l.Pods, func(ctx context.Context) (int, error) { return s.commit(ctx, 2, "rolling update") })
	s.run(ctx, PhaseNodeLoss, l.Pods, s.nodeLoss)
	return sr
}

// start makes the repo and starts the controller, and returns once its
// API answers the admin's client config.
func (s *sizeRun) start(ctx context.Context) error {
	repo, data := filepath.Join(s.dir, "repo"), filepath.Join(s.dir, "data")
	if err := os.RemoveAll(s.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return err
	}
	if err := git(ctx, repo, "init", "-q", "-b", "main"); err != nil {
		return err
	}
	if err := commitFiles(ctx, repo, "empty", nil); err != nil {
		return err
	}
	listen, err := freeAddr()
	if err != nil {
		return err
	}
	if s.metrics, err = freeAddr(); err != nil {
		return err
	}
	args := []string{"controller", "--repo", repo, "--data", data, "--listen", listen, "--metrics-listen", s.metrics,
		"--node-cidr-mask-size", strconv.Itoa(s.layout.NodeMask),
		"--node-monitor-grace-period", s.cfg.NodeGracePeriod.String(),
		"--default-toleration-seconds", strconv.Itoa(s.cfg.TolerationSeconds)}
	if s.layout.ClusterCIDR != "" {
		args = append(args, "--cluster-cidr", s.layout.ClusterCIDR)
	}
	args = append(args, s.cfg.ControllerArgs...)
	if s.ctl, err = startProcess("controller", s.cfg.Binary, filepath.Join(s.dir, "controller.log"), args...); err != nil {
		return err
	}
	deadline := time.Now().Add(s.cfg.PhaseTimeout)
	for {
		if s.ctl.exited() {
			return fmt.Errorf("the controller exited at start:\n%s", tail(s.ctl.log.Name(), 20))
		}
		if s.client, err = s.connect(ctx, filepath.Join(data, "admin.conf")); err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the controller's API did not answer within %s: %v", s.cfg.PhaseTimeout, err)
		}
		sleep(ctx, 500*time.Millisecond)
	}
}

// connect makes the admin's client from the controller's admin.conf and
// checks that the API answers.
func (s *sizeRun) connect(ctx context.Context, path string) (*apiclient.Client, error) {
	cc, err := clientconfig.Load(path)
	if err != nil {
		return nil, err
	}
	tc, err := cc.TLSConfig()
	if err != nil {
		return nil, err
	}
	c := apiclient.NewTLS(cc.Server(), cc.Token, tc)
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, _, err = c.List(lctx, "Namespace", "", nil)
	return c, err
}

// stop ends the simulators and the controller and records the totals.
func (s *sizeRun) stop() {
	for _, p := range s.sims {
		if p != nil && !p.exited() {
			if rss, err := PeakRSS(p.pid()); err == nil {
				s.simPeakRSS = max(s.simPeakRSS, rss)
			}
		}
		p.stop(15 * time.Second)
	}
	s.res.SimulatorPeakRSSBytes = s.simPeakRSS
	if s.ctl != nil {
		if !s.ctl.exited() {
			if cpu, err := CPUTime(s.ctl.pid()); err == nil {
				s.res.ControllerCPUSeconds = cpu.Seconds()
			}
			if rss, err := PeakRSS(s.ctl.pid()); err == nil {
				s.res.ControllerPeakRSSBytes = rss
			}
		}
		s.ctl.stop(30 * time.Second)
		if n, err := DirSize(filepath.Join(s.dir, "data", "store")); err == nil {
			s.res.StoreBytes = n
		}
	}
}

// run runs one phase with its timeout and records it with the
// controller's CPU, peak RSS and API request rate over it.
func (s *sizeRun) run(ctx context.Context, name string, target int, fn func(context.Context) (int, error)) {
	p := Phase{Name: name, Target: target}
	switch {
	case s.cfg.Skip[name]:
		p.Skipped = "--skip"
	case Blocked(name, s.res.Phases) != "":
		p.Skipped = Blocked(name, s.res.Phases)
	case s.ctl.exited():
		p.Skipped = "after the controller exited"
	}
	if p.Skipped != "" {
		s.res.Phases = append(s.res.Phases, p)
		return
	}
	pid := s.ctl.pid()
	cpu0, _ := CPUTime(pid)
	sim0 := s.simulatorCPU()
	req0, reqErr := RequestsTotal(ctx, s.metrics)
	entries0, entriesErr := s.storeEntries(ctx)
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, s.cfg.PhaseTimeout)
	reached, err := fn(pctx)
	cancel()
	wall := time.Since(start)
	p.Seconds, p.Reached = wall.Seconds(), reached
	switch {
	case err == nil:
		p.Done = true
	case errors.Is(err, context.DeadlineExceeded):
		p.Error = fmt.Sprintf("timed out after %s with %d of %d", s.cfg.PhaseTimeout, reached, target)
	default:
		p.Error = err.Error()
	}
	if s.ctl.exited() {
		p.Error += "; the controller exited:\n" + tail(s.ctl.log.Name(), 20)
	} else {
		if cpu1, err := CPUTime(pid); err == nil {
			p.ControllerCPUSeconds = (cpu1 - cpu0).Seconds()
			p.ControllerCPUPercent = CPUPercent(cpu1-cpu0, wall)
		}
		p.ControllerPeakRSSBytes, _ = PeakRSS(pid)
		p.SimulatorCPUPercent = CPUPercent(s.simulatorCPU()-sim0, wall)
		req1, err := RequestsTotal(ctx, s.metrics)
		if err = cmp.Or(reqErr, err); err == nil {
			p.APIRequestsPerSecond = PerSecond(req1-req0, wall)
		} else {
			p.MetricsError = err.Error()
		}
	}
	if entries1, err := s.storeEntries(ctx); err == nil && entriesErr == nil {
		p.StoreEntries = entries1 - entries0
	}
	if name == PhaseFanout {
		p.Latency = s.latency
	}
	if name == PhaseCommit || name == PhaseRollout || name == PhaseNodeLoss {
		p.PodsBoundPerSecond = s.pods.throughput(start)
		if p.Done {
			p.LastRunningSeconds = s.pods.lastRunningSince(start).Seconds()
		}
		if name != PhaseNodeLoss {
			p.Stages = s.pods.stages(strconv.Itoa(s.revision), start)
		}
		c := s.pods.counts(strconv.Itoa(s.revision), s.lost)
		p.Pods = &c
	}
	s.res.Phases = append(s.res.Phases, p)
	s.cfg.Log.Info("scale benchmark: phase", "nodes", s.layout.Nodes, "phase", name, "done", p.Done, "seconds", round(p.Seconds),
		"reached", p.Reached, "target", p.Target, "podsBoundPerSecond", round(p.PodsBoundPerSecond),
		"controllerCPUPercent", round(p.ControllerCPUPercent), "peakRSSMiB", p.ControllerPeakRSSBytes>>20,
		"apiRequestsPerSecond", round(p.APIRequestsPerSecond), "simulatorCPUPercent", round(p.SimulatorCPUPercent), "pods", p.Pods, "error", p.Error)
}

// storeEntries is cfg.StoreEntries (an error when unset).
func (s *sizeRun) storeEntries(ctx context.Context) (int, error) {
	if s.cfg.StoreEntries == nil {
		return 0, errors.New("no store entry count")
	}
	return s.cfg.StoreEntries(ctx)
}

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// simulatorCPU is the CPU time of both simulators (the one the node-loss
// phase kills up to its end).
func (s *sizeRun) simulatorCPU() time.Duration {
	sum := s.killedCPU
	for _, p := range s.sims {
		if p != nil && !p.exited() {
			if d, err := CPUTime(p.pid()); err == nil {
				sum += d
			}
		}
	}
	return sum
}

// nodesReady starts the simulators (the nodes that stay, and those the
// node-loss phase stops) and waits until every node is Ready.
func (s *sizeRun) nodesReady(ctx context.Context) (int, error) {
	keep := s.layout.Nodes - s.layout.LostNodes
	for i, part := range [][2]int{{0, keep}, {keep, s.layout.LostNodes}} {
		args := []string{"agent", "--config-file", filepath.Join(s.dir, "data", "admin.conf"),
			"--data", filepath.Join(s.dir, fmt.Sprintf("sim%d", i)), "--metrics-listen", "",
			"--simulate", strconv.Itoa(part[1]), "--simulate-first", strconv.Itoa(part[0]), "--simulate-prefix", simPrefix,
			"--simulate-pods", strconv.Itoa(s.layout.NodePods), "--simulate-resync-interval", s.cfg.Resync.String(),
			"--node-status-update-frequency", s.cfg.Heartbeat.String()}
		p, err := startProcess(fmt.Sprintf("simulator %d", i), s.cfg.Binary, filepath.Join(s.dir, fmt.Sprintf("sim%d.log", i)), args...)
		if err != nil {
			return 0, err
		}
		s.sims[i] = p
	}
	return waitCount(ctx, s, s.layout.Nodes, s.readyNodes)
}

// readyNodes counts the simulated nodes with Ready=True.
func (s *sizeRun) readyNodes(ctx context.Context) (int, error) {
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	objs, _, err := s.client.List(lctx, "Node", "", nil)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		node := o.(*corev1.Node)
		if node.Labels[hollow.LabelSimulated] != "true" {
			continue
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n, nil
}

// idle waits the idle window: the controller's CPU over it (the phase's
// figures) is the heartbeat cost.
func (s *sizeRun) idle(ctx context.Context) (int, error) {
	sleep(ctx, s.cfg.Idle)
	return 0, ctx.Err()
}

// commit commits revision of every Deployment, asks for a sync, and waits
// until every pod of that revision runs.
func (s *sizeRun) commit(ctx context.Context, revision int, message string) (int, error) {
	if err := commitFiles(ctx, filepath.Join(s.dir, "repo"), message, Manifests(s.layout.Replicas, revision)); err != nil {
		return 0, err
	}
	s.revision = revision
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	s.client.Sync(sctx, "") // the controller watches the local repo too: a failed nudge only delays
	cancel()
	rev := strconv.Itoa(revision)
	return waitCount(ctx, s, s.layout.Pods, func(context.Context) (int, error) { return s.pods.running(rev, nil), nil })
}

// fanout samples watch fan-out latency on one node's pods.
func (s *sizeRun) fanout(ctx context.Context) (int, error) {
	node, pods := s.pods.runningOnOneNode(strconv.Itoa(s.revision))
	lat, err := Fanout(ctx, s.client, node, pods, s.cfg.FanoutWatchers, s.cfg.FanoutSamples)
	if lat == nil {
		return 0, err
	}
	s.latency = lat
	return lat.Samples, err
}

// nodeLoss stops the second simulator at once (its nodes vanish without a
// goodbye, as hosts that die) and waits until every pod of the current
// revision runs on the nodes that stay: the lost nodes go NotReady after
// the grace period, their pods are evicted after the toleration and
// replaced elsewhere.
func (s *sizeRun) nodeLoss(ctx context.Context) (int, error) {
	keep := s.layout.Nodes - s.layout.LostNodes
	s.lost = map[string]bool{}
	for i := keep; i < s.layout.Nodes; i++ {
		s.lost[hollow.Name(simPrefix, i)] = true
	}
	if p := s.sims[1]; p != nil && !p.exited() {
		if rss, err := PeakRSS(p.pid()); err == nil {
			s.simPeakRSS = max(s.simPeakRSS, rss)
		}
		s.killedCPU, _ = CPUTime(p.pid())
	}
	s.sims[1].kill()
	rev := strconv.Itoa(s.revision)
	return waitCount(ctx, s, s.layout.Pods, func(context.Context) (int, error) { return s.pods.running(rev, s.lost), nil })
}

// waitCount polls count until it reaches target, ctx ends (the phase's
// timeout: the last count is what was reached) or the controller exits.
func waitCount(ctx context.Context, s *sizeRun, target int, count func(context.Context) (int, error)) (int, error) {
	reached := 0
	for {
		if n, err := count(ctx); err == nil {
			reached = n
		}
		if reached >= target {
			return reached, nil
		}
		if s.ctl.exited() {
			return reached, fmt.Errorf("the controller exited")
		}
		select {
		case <-ctx.Done():
			return reached, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
