package agentcmd

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/agentmetrics"
	"github.com/reconcile-dev/reconcile/agent/bootstrap"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/metrics/promkit"
)

// Flags configure a node agent, alone or inside `up` (which sets Data
// under its own and shares its --cluster-cidr: SetClusterCIDR).
type Flags struct {
	// Node is the node's name (--node); RunNodeAgent sets it to the one
	// its certificate names.
	Node string
	// Data is the agent's data directory (--data of a lone agent).
	Data                string
	podman              string
	allowInsecurePodman bool
	clusterID           string       // up: the controller's cluster ID, passed directly
	net                 podNetFlags  // podnet.go
	proxy               proxyFlags   // proxy.go
	ingress             ingressFlags // ingress.go
	logs                logFlags     // agent_logs.go
	// annotations are the Node annotations of a joined node (join.go).
	annotations func() map[string]string
	statusEvery time.Duration     // --node-status-update-frequency
	statusPost  time.Duration     // --node-status-report-frequency
	labels      map[string]string // --node-labels
	reserved    string            // --system-reserved
	// seccompDefault: RuntimeDefault for containers that name no seccomp profile.
	seccompDefault bool
	usageEvery     time.Duration // --usage-interval
	// metricsListen is the agent's /metrics address (metrics.go); lone
	// says the flag is --metrics-listen (else up's --agent-metrics-listen).
	metricsListen string
	lone          bool
}

// SetClusterCIDR sets the proxy's cluster CIDR (`up`: the controller's
// --cluster-cidr, one flag for both parts).
func (f *Flags) SetClusterCIDR(cidr string) { f.proxy.clusterCIDR = cidr }

// SetLogTLS sets the log server's TLS (the node's certificate): RunAgent
// needs it when --listen-logs is on; RunNodeAgent sets it itself.
func (f *Flags) SetLogTLS(c *tls.Config) { f.logs.tls = c }

// Register adds the agent's flags to cmd; withData (a lone agent, not
// `up`) adds --data and the flags `up` takes from its controller's.
func (f *Flags) Register(cmd *cobra.Command, withData bool) {
	host, _ := os.Hostname()
	cmd.Flags().StringVar(&f.Node, "node", host, "name of this node (a lone agent: default the node its certificate names)")
	cmd.Flags().StringVar(&f.podman, "podman", "", "Podman API socket, e.g. unix:///run/podman/podman.sock (default: start and supervise our own podman service)")
	cmd.Flags().BoolVar(&f.allowInsecurePodman, "allow-insecure-podman", false, "use a Podman endpoint others than root can reach (a group/world-writable socket, tcp:// without TLS); warns at every start")
	if withData {
		cmd.Flags().StringVar(&f.Data, "data", filepath.Join(DefaultDataDir(), "agent"), "agent data directory: volumes, the Podman service socket")
	}
	cmd.Flags().StringToStringVar(&f.labels, "node-labels", nil, "labels this node carries, key=value,… (as the kubelet's; e.g. disktype=ssd,topology.kubernetes.io/zone=a): what nodeSelector, node affinity and topology spread match")
	cmd.Flags().DurationVar(&f.statusEvery, "node-status-update-frequency", 10*time.Second, "how often the agent renews its node's lease (heartbeat) and checks its Ready status, posted only when it changes; the controller marks the node Unknown after its --node-monitor-grace-period without one")
	cmd.Flags().DurationVar(&f.statusPost, "node-status-report-frequency", agent.DefaultNodeStatusReportFrequency, "how often the agent posts its whole Node status when nothing in it changed (the kubelet's nodeStatusReportFrequency); changes are posted at the next heartbeat")
	cmd.Flags().StringVar(&f.reserved, "system-reserved", "", "resources this host keeps for itself, taken off the node's capacity to give its allocatable (what the scheduler fills), as the kubelet's: cpu=500m,memory=1Gi")
	cmd.Flags().BoolVar(&f.seccompDefault, "seccomp-default", false, "run containers whose securityContext names no seccomp profile under RuntimeDefault (Podman's default filter) instead of Kubernetes' default, Unconfined (the kubelet's --seccomp-default); Localhost profiles are read from DATA/seccomp")
	cmd.Flags().DurationVar(&f.usageEvery, "usage-interval", agent.DefaultUsageInterval, "how often the agent reads its pods' CPU and memory usage from Podman and reports it (what HorizontalPodAutoscalers and `reconcile top` read; metrics-server's --metric-resolution); negative: never")
	f.net.register(cmd, withData)
	f.proxy.register(cmd, withData)
	f.ingress.register(cmd)
	f.logs.register(cmd, withData)
	f.lone = withData
	registerAgentMetrics(cmd, &f.metricsListen, withData)
}

// AdminConnect makes a client with an admin's client config and the
// override flags (--config-file, --server, --token-file), and says the
// server URL it used: `agent --simulate` makes its own join token with it.
// The CLI's (cmd/reconcile) resolves them as every client command does.
type AdminConnect func(configFile, server, tokenFile string) (c *apiclient.Client, serverURL string, err error)

// NewAgentCmd is `agent`: a node's agent with its certificate, `--cleanup`,
// or `--simulate N` simulated nodes (with admin; nil: refused, and the
// error says to join them with a token instead).
func NewAgentCmd(admin AdminConnect) *cobra.Command {
	f := &Flags{}
	sim := &simulateFlags{}
	var server, tokenFile, configFile string
	cmd := &cobra.Command{
		Use:   "agent --server URL [--node NAME]",
		Short: "Run a node agent: realise this node's pods with Podman and report their status",
		Long: `Run the agent of one node. It registers the node with the controller, sends heartbeats,
and realises the pods bound to it as Podman pods and containers. A restarted agent adopts the
containers it finds (by their reconcile.* labels) instead of recreating them.`,
		Example: `  # on the controller's machine: credentials for node-b, copied to node-b
  reconcile node credentials node-b --node-ip 10.0.0.2 --server https://10.0.0.1:7420 > agent.conf
  # on node-b
  reconcile agent --config-file agent.conf`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.proxy.cleanup {
				ipt, err := f.proxy.iptables()
				if err != nil {
					return err
				}
				return errors.Join(cleanupProxy(cmd.Context(), ipt), bootstrap.Cleanup(cmd.Context(), ipt, &podnet.Netlink{}))
			}
			if sim.count > 0 {
				return runSimulatedWithAdmin(cmd.Context(), f, sim, admin, configFile, server, tokenFile, NewLogger())
			}
			if cmd.Flags().Changed("token-file") || os.Getenv("RECONCILE_TOKEN") != "" {
				return fmt.Errorf("the agent authenticates with its node's certificate, not a bearer token: drop --token-file / $RECONCILE_TOKEN and pass --config-file with the node's credentials (DATA/agent.conf written by `reconcile join`, or `reconcile node credentials NAME > agent.conf` where the controller's DATA/pki is)")
			}
			path, _, err := clientconfig.Find(configFile)
			if err != nil {
				return err
			}
			return RunNodeAgent(cmd.Context(), f, path, cmp.Or(server, os.Getenv("RECONCILE_SERVER")), cmd.Flags().Changed("node"), NewLogger())
		},
	}
	f.Register(cmd, true)
	sim.register(cmd)
	// The agent's own flags shadow the global ones so its --help lists them.
	cmd.Flags().StringVar(&server, "server", "", "controller URL, overriding the client config's (default $RECONCILE_SERVER, then the client config's)")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "not for agents: an agent authenticates with its node's certificate (refused; with --simulate, the admin's token)")
	_ = cmd.Flags().MarkHidden("token-file")
	cmd.Flags().StringVar(&configFile, "config-file", "", "the node's client config: the controller's URL, the cluster CA and the node's certificate (`reconcile node credentials`; default $RECONCILE_CONFIG, then ~/.config/reconcile/config)")
	return cmd
}

// RunAgent connects to (or starts) Podman and runs the agent until ctx ends.
func RunAgent(ctx context.Context, f *Flags, cp agent.ControlPlane, log *slog.Logger) error {
	data, err := filepath.Abs(f.Data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("agent data directory: %w", err)
	}
	sock := f.podman
	if sock == "" {
		// Podman's own messages go to our stderr: when it cannot start,
		// they say why.
		s, stop, err := agent.StartPodmanServiceWith(ctx, agent.ServiceOptions{DataDir: data, Output: os.Stderr, Logger: log})
		if err != nil {
			return err
		}
		defer stop()
		sock = s
	}
	if err := agent.CheckPodmanEndpoint(sock, f.allowInsecurePodman, log); err != nil {
		return err
	}
	cluster := f.clusterID
	if cluster == "" {
		if cluster, err = agent.WaitClusterID(ctx, cp, log); err != nil {
			return err
		}
	}
	rt, err := agent.NewPodmanRuntime(ctx, sock, cluster)
	if err != nil {
		return err
	}
	met := agentmetrics.New() // agent/agentmetrics: the agent's hooks feed it
	rt.OnAPIError(met.PodmanError)
	ipt, err := f.proxy.iptables()
	if err != nil {
		return err
	}
	if err := agent.ValidNodeLabels(f.labels); err != nil {
		return err
	}
	reserved, err := agent.ParseReserved(f.reserved)
	if err != nil {
		return err
	}
	opts := agent.Options{NodeName: f.Node, DataDir: data, ControlPlane: cp, Runtime: rt, Logger: log, NodeAnnotations: f.annotations,
		HeartbeatInterval: f.statusEvery, NodeStatusReportFrequency: f.statusPost, NodeLabels: f.labels, SystemReserved: reserved, SeccompDefault: f.seccompDefault,
		UsageInterval: f.usageEvery, Observer: met}
	podNet, err := startPodNetwork(ctx, f, cp, sock, ipt, log)
	if err != nil {
		return err
	}
	podNet.AgentOptions(&opts)
	if err := f.logs.apply(&opts); err != nil {
		return err
	}
	a, err := agent.New(opts)
	if err != nil {
		return err
	}
	// Beyond loopback: HTTPS with the node's certificate (its log server's),
	// any client certificate of the cluster CA allowed to read /metrics.
	ms, err := promkit.Open(promkit.Endpoint{Addr: f.metricsListen, Flag: agentMetricsFlag(f.lone), TLS: agentmetrics.ServerTLS(f.logs.tls), Guard: agentmetrics.Guard, Log: log}, met.Registry())
	if err != nil {
		return err
	}
	go func() {
		if err := ms.Run(ctx); err != nil {
			log.Error("metrics endpoint stopped", "err", err)
		}
	}()
	stopProxy, err := startProxy(ctx, f.proxy, cp, ipt, f.Node, podNet.PodCIDR, met.ProxySynced, log)
	if err != nil {
		return err
	}
	defer stopProxy()
	stopIngress, err := startIngress(ctx, f.ingress, cp, log)
	if err != nil {
		return err
	}
	defer stopIngress()
	log.Info("agent running", "node", f.Node, "podman", sock, "cluster", cluster)
	return a.Run(ctx)
}
