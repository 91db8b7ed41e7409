package hollow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/join"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// LabelSimulated marks the Node of a simulated node.
const LabelSimulated = "node.reconcile.dev/simulated"

// Capacity is what each simulated node advertises.
type Capacity struct {
	CPUs        int   // default 32
	MemoryBytes int64 // default 128 GiB
	Pods        int   // default 110 (agent.MaxPods)
}

// Config of a fleet of simulated nodes.
type Config struct {
	// Server is the controller's https URL and Token a join token
	// (K10<CA hash>::<id>.<secret>, as `reconcile token create` prints):
	// every node joins with it as `reconcile join` does and gets its own
	// certificate (node:<name>).
	Server, Token string
	// Nodes are named Prefix-NNNN (default prefix "hollow"), numbered
	// from First.
	Prefix       string
	First, Count int
	// DataDir holds DATA/<node>/agent.conf (a node's credentials: a
	// restarted simulator reuses them) and the agents' pod directories.
	DataDir   string
	Capacity  Capacity
	Behaviour Behaviour
	// Labels go on every node beside node.reconcile.dev/simulated=true.
	Labels map[string]string
	// HeartbeatInterval (default 10 s) and ResyncInterval (default 2 s)
	// are the agent's own.
	HeartbeatInterval, ResyncInterval time.Duration
	// JoinParallelism bounds the joins in flight (default 16).
	JoinParallelism int
	// Log gets the fleet's lines; the agents log only warnings and errors
	// there (a thousand "node registered" lines say nothing).
	Log *slog.Logger
}

// Fleet is a running set of simulated nodes.
type Fleet struct {
	nodes    []string
	joinTime time.Duration
	wg       sync.WaitGroup
	mu       sync.Mutex
	errs     []error
}

// Name is the name of simulated node i.
func Name(prefix string, i int) string { return fmt.Sprintf("%s-%04d", cmp.Or(prefix, "hollow"), i) }

// Start joins the nodes (in parallel, at most JoinParallelism at a time)
// and starts each node's agent over a Runtime in memory as soon as that
// node has joined and opened its connection to the controller; it returns
// once every node has joined. The agents run until ctx ends (Wait); when
// Start fails, the caller cancels ctx to stop those already started.
//
// Nodes come up as real hosts do, not all in the same instant: the full
// TLS handshakes of joining (the token's, then the node certificate's
// first connection, which the agent keeps) are bounded by
// JoinParallelism, and the agent's further connections resume that TLS
// session (join.Credentials.TLSConfig). 5,000 agents started at once
// after every join had made 10,000–15,000 full handshakes at the same
// moment, which the controller could not finish within its handshake
// timeout: clients reconnected, and the storm never ended (BENCHMARKS.md,
// issue 13: 150,000 pods).
func Start(ctx context.Context, cfg Config) (*Fleet, error) {
	if cfg.Count <= 0 {
		return nil, errors.New("simulated nodes: --simulate needs a count above 0")
	}
	if cfg.Server == "" || cfg.Token == "" || cfg.DataDir == "" {
		return nil, errors.New("simulated nodes: the controller's URL, a join token and a data directory are required")
	}
	cfg = cfg.withDefaults()
	if err := agent.ValidNodeLabels(cfg.Labels); err != nil {
		return nil, err
	}
	f := &Fleet{}
	for i := range cfg.Count {
		f.nodes = append(f.nodes, Name(cfg.Prefix, cfg.First+i))
	}
	begin := time.Now()
	sem := make(chan struct{}, cfg.JoinParallelism)
	var joins sync.WaitGroup
	var joinErr error
	var once sync.Once
	// The first failure ends the joins still to come or retrying (the
	// agents started run on ctx): an error is known in seconds, not after
	// every other node's retries.
	jctx, stopJoins := context.WithCancel(ctx)
	defer stopJoins()
joining:
	for _, name := range f.nodes {
		select {
		case sem <- struct{}{}:
		case <-jctx.Done():
			break joining
		}
		joins.Add(1)
		go func() {
			defer joins.Done()
			client, annotations, err := joinNode(jctx, cfg, name)
			<-sem
			if err == nil {
				err = f.startAgent(ctx, cfg, name, client, annotations)
			}
			if err != nil && jctx.Err() == nil {
				once.Do(func() { joinErr = fmt.Errorf("simulated node %s: %w", name, err); stopJoins() })
			}
		}()
	}
	joins.Wait()
	if joinErr == nil && ctx.Err() != nil {
		joinErr = ctx.Err()
	}
	if joinErr != nil {
		return nil, joinErr
	}
	f.joinTime = time.Since(begin)
	cfg.Log.Info("simulated nodes joined", "nodes", len(f.nodes), "first", f.nodes[0], "took", f.joinTime.Round(time.Millisecond))
	return f, nil
}

// joinNode joins one node as `reconcile join` does and opens its first
// connection with its certificate (a read of its Node, absent until the
// agent registers it): the full handshake, kept alive for the agent.
func joinNode(ctx context.Context, cfg Config, name string) (*apiclient.Client, func() map[string]string, error) {
	dir := filepath.Join(cfg.DataDir, name)
	backoff := joinBackoff
	var res join.Result
	var err error
	for {
		res, err = join.Join(ctx, join.Options{Server: cfg.Server, Token: cfg.Token, Node: name, DataDir: dir, Log: quiet(cfg.Log)})
		if err == nil || !busy(err) || backoff.Steps == 0 || !ctxwait.Sleep(ctx, backoff.Step()) {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	creds, client, err := join.Connect(ctx, res.Path, cfg.Server, quiet(cfg.Log))
	if err != nil {
		return nil, nil, err
	}
	client.Get(ctx, objects.Key{Kind: "Node", Name: name}) // only the connection matters: the agent retries whatever fails
	return client, creds.Annotations, nil
}

// busy says whether a join failed because the controller did not answer
// (busy with the other nodes: a timeout, a handshake turned away, a
// connection cut, 429 or 503), which is worth asking again; its refusal
// (a bad token) and local errors (a wrong CA hash, a file not written)
// are final.
func busy(err error) bool {
	var refused *apierrors.Error
	if errors.As(err, &refused) {
		return refused.Reason == apierrors.ReasonTooManyRequests || refused.Reason == apierrors.ReasonServiceUnavailable
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// joinBackoff paces the retries of a join the controller did not answer:
// client-go's exponential backoff with jitter, five to ten minutes in all.
var joinBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 1, Steps: 14, Cap: 30 * time.Second}

// startAgent runs the agent of one joined node until ctx ends.
func (f *Fleet) startAgent(ctx context.Context, cfg Config, name string, client *apiclient.Client, annotations func() map[string]string) error {
	a, err := newAgent(cfg, name, client, annotations)
	if err != nil {
		return err
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		if err := a.Run(ctx); err != nil && ctx.Err() == nil {
			f.mu.Lock()
			f.errs = append(f.errs, fmt.Errorf("simulated node %s: %w", name, err))
			f.mu.Unlock()
		}
	}()
	return nil
}

func (cfg Config) withDefaults() Config {
	cfg.Prefix = cmp.Or(cfg.Prefix, "hollow")
	cfg.Capacity.CPUs = cmp.Or(cfg.Capacity.CPUs, 32)
	cfg.Capacity.MemoryBytes = cmp.Or(cfg.Capacity.MemoryBytes, 128<<30)
	cfg.Capacity.Pods = cmp.Or(cfg.Capacity.Pods, agent.MaxPods)
	cfg.JoinParallelism = cmp.Or(cfg.JoinParallelism, 16)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	labels := maps.Clone(cfg.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelSimulated] = "true"
	cfg.Labels = labels
	return cfg
}

// newAgent is the real agent of one node over the in-memory runtime. The
// node has no InternalIP: a real agent's pod network routes a node's pod
// subnet to its InternalIP, and these subnets are nowhere.
func newAgent(cfg Config, name string, client *apiclient.Client, annotations func() map[string]string) (*agent.Agent, error) {
	rt := NewRuntime(cfg.Behaviour, func(ctx context.Context) (string, error) {
		return nodePodCIDR(ctx, client, name)
	}, nil)
	host := &agent.HostInfo{Hostname: name, CPUs: cfg.Capacity.CPUs, MemoryBytes: cfg.Capacity.MemoryBytes, MaxPods: cfg.Capacity.Pods,
		KernelVersion: "simulated", OSImage: "reconcile simulated node", RuntimeVersion: rt.Version()}
	return agent.New(agent.Options{NodeName: name, DataDir: filepath.Join(cfg.DataDir, name), ControlPlane: apiclient.ControlPlane{Client: client},
		Runtime: rt, Logger: quiet(cfg.Log), Host: host, NodeLabels: cfg.Labels, NodeAnnotations: annotations,
		HeartbeatInterval: cfg.HeartbeatInterval, ResyncInterval: cfg.ResyncInterval, UsageInterval: -1})
}

// nodePodCIDR reads the node's own Node (a node may read itself) for the
// subnet the controller assigned when it registered.
func nodePodCIDR(ctx context.Context, client *apiclient.Client, name string) (string, error) {
	o, err := client.Get(ctx, objects.Key{Kind: "Node", Name: name})
	if err != nil {
		return "", err
	}
	n, ok := o.(*corev1.Node)
	if !ok || n.Spec.PodCIDR == "" {
		return "", fmt.Errorf("node %s has no podCIDR yet", name)
	}
	return n.Spec.PodCIDR, nil
}

// Nodes are the names of the fleet's nodes.
func (f *Fleet) Nodes() []string { return f.nodes }

// JoinTime is how long joining every node took (certificate issuance
// included): the cost of per-node identities.
func (f *Fleet) JoinTime() time.Duration { return f.joinTime }

// Wait returns when every agent has stopped (ctx ended), with the errors
// of those that failed.
func (f *Fleet) Wait() error {
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.errs...)
}
