package agentcmd

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/reconcile-dev/reconcile/agent/hollow"
	"github.com/reconcile-dev/reconcile/reconcile/fdlimit"
)

// simulateFlags configure simulated nodes (agent/hollow): `reconcile agent
// --simulate N` and `reconcile join URL --token T --simulate N`.
type simulateFlags struct {
	count, first, cpus, pods int
	prefix, memory           string
	resync                   time.Duration
	behaviour                hollow.Behaviour
}

func (s *simulateFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&s.count, "simulate", 0, "run N simulated nodes (Kubernetes' kubemark hollow nodes) in this process instead of a real agent: each joins with its own certificate, heartbeats and reports its pods Running without Podman; for scale tests")
	fl.StringVar(&s.prefix, "simulate-prefix", "hollow", "simulated nodes are named PREFIX-0000, PREFIX-0001, …")
	fl.IntVar(&s.first, "simulate-first", 0, "number of the first simulated node (to run several simulators on one cluster)")
	fl.IntVar(&s.cpus, "simulate-cpus", 32, "CPU capacity of each simulated node")
	fl.StringVar(&s.memory, "simulate-memory", "128Gi", "memory capacity of each simulated node")
	fl.IntVar(&s.pods, "simulate-pods", 110, "pod capacity of each simulated node")
	fl.DurationVar(&s.resync, "simulate-resync-interval", 2*time.Second, "longest wait between two syncs of a simulated node's pods (the agent's own: a list of its pods each time)")
	fl.Float64Var(&s.behaviour.FailFraction, "simulate-fail", 0, "fraction of pods whose containers exit 1 at once (CrashLoopBackOff, or Failed with restartPolicy Never)")
	fl.Float64Var(&s.behaviour.CrashFraction, "simulate-crash", 0, "fraction of pods whose containers exit 1 after --simulate-crash-after (CrashLoopBackOff)")
	fl.DurationVar(&s.behaviour.CrashAfter, "simulate-crash-after", 10*time.Second, "how long a crashing container runs")
	fl.Float64Var(&s.behaviour.SlowFraction, "simulate-slow", 0, "fraction of pods whose containers take --simulate-slow-start to start")
	fl.DurationVar(&s.behaviour.SlowStart, "simulate-slow-start", 5*time.Second, "how long a slow container takes to start")
}

// config is the fleet's configuration with the agent's own flags: its
// data directory, heartbeat interval and node labels.
func (s *simulateFlags) config(f *Flags, server, token string, log *slog.Logger) (hollow.Config, error) {
	mem, err := resource.ParseQuantity(s.memory)
	if err != nil {
		return hollow.Config{}, fmt.Errorf("--simulate-memory %q: %w (e.g. 128Gi)", s.memory, err)
	}
	data, err := filepath.Abs(filepath.Join(f.Data, "simulated"))
	if err != nil {
		return hollow.Config{}, err
	}
	return hollow.Config{Server: server, Token: token, Prefix: s.prefix, First: s.first, Count: s.count, DataDir: data,
		Capacity:  hollow.Capacity{CPUs: s.cpus, MemoryBytes: mem.Value(), Pods: s.pods},
		Behaviour: s.behaviour, Labels: f.labels, HeartbeatInterval: f.statusEvery, ResyncInterval: s.resync, Log: log}, nil
}

// runSimulated runs the simulated nodes until ctx ends.
func runSimulated(ctx context.Context, cfg hollow.Config, log *slog.Logger) error {
	fdlimit.RaiseLogged(log) // a connection pool per simulated node
	fleet, err := hollow.Start(ctx, cfg)
	if err != nil {
		return err
	}
	log.Info("simulated nodes running", "nodes", len(fleet.Nodes()), "join", fleet.JoinTime().Round(time.Millisecond))
	<-ctx.Done()
	return fleet.Wait()
}

// runSimulatedWithAdmin is `reconcile agent --simulate N` on the
// controller's machine: with the admin's client config it makes a join
// token itself (as an admin would with `reconcile token create`) and the
// nodes join with it as `reconcile join` does.
func runSimulatedWithAdmin(ctx context.Context, f *Flags, s *simulateFlags, admin AdminConnect, configFile, server, tokenFile string, log *slog.Logger) error {
	if admin == nil {
		return fmt.Errorf("--simulate without a join token needs the admin's client config, which this node binary does not read: run `reconcile agent --simulate %d` on the controller's machine, or `reconcile-agent join URL --token T --simulate %d` with a token from `reconcile token create`", s.count, s.count)
	}
	c, url, err := admin(configFile, server, tokenFile)
	if err != nil {
		return err
	}
	tok, err := c.CreateToken(ctx, time.Hour.String(), fmt.Sprintf("simulated nodes %s", hollow.Name(s.prefix, s.first)))
	if err != nil {
		return fmt.Errorf("--simulate makes a join token with the admin's client config (--config-file, the controller's DATA/admin.conf): %w", err)
	}
	cfg, err := s.config(f, url, tok.Token, log)
	if err != nil {
		return err
	}
	return runSimulated(ctx, cfg, log)
}
