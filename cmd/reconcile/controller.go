package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/clusterid"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/controlplane"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/fdlimit"
	"github.com/reconcile-dev/reconcile/reconcile/metrics"
	"github.com/reconcile-dev/reconcile/reconcile/metrics/promkit"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/nodeipam"
	"github.com/reconcile-dev/reconcile/reconcile/nodelease"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/usercreds"
	"github.com/reconcile-dev/reconcile/schema"
)

// controllerFlags configure the controller, alone or inside `up`.
type controllerFlags struct {
	repo, branch, path, name string
	config                   string // a controller config file declaring the sources (instead of --repo)
	data, listen             string
	poll                     time.Duration
	tokenFile, sshKey        string
	noPrune, allowEmpty      bool
	clusterID                string // --cluster-id (reconcile/clusterid)
	podNetworkBackend        string // --pod-network-backend (agent/podnet), served to agents
	nodeMask                 int    // --node-cidr-mask-size (reconcile/nodeipam)
	clusterCIDR              string // --cluster-cidr (reconcile/nodeipam)
	maxInflight              int    // --max-requests-inflight (apiserver/inflight.go)
	limits                   limitFlags
	tlsSANs                  []string        // --tls-san: more names and addresses in the serving certificate
	plainHTTP                bool            // hidden --insecure-plain-http: loopback only, for the plain-vs-TLS benchmark
	lifecycle                lifecycleFlags  // node_lifecycle.go
	lbPool                   addressPoolFlag // --lb-address-pool (lb_flags.go)
	hpaSync                  time.Duration   // --horizontal-pod-autoscaler-sync-period
	metricsListen            string          // --metrics-listen (metrics.go)
	store                    storeFlags      // --store, --etcd-* (store_flags.go)
	ha                       haFlags         // --cluster-init, --join… (ha.go)
}

func (f *controllerFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.repo, "repo", "", "desired-state git repo: a local directory inside a git repo, file://, https:// or ssh:// URL (or declare sources with --config)")
	fl.StringVar(&f.branch, "branch", "", "branch, tag or commit to deploy (default: the repo's HEAD)")
	fl.StringVar(&f.path, "path", "", "sub-directory of the repo holding the manifests")
	fl.StringVar(&f.name, "source-name", "", "name of the source (default: derived from the repo)")
	fl.StringVar(&f.data, "data", defaultDataDir(), "data directory: the Badger store, the API token, git caches")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:7420", "API server address, served over HTTPS with the cluster CA (DATA/pki); every request needs a client certificate or the token (DATA/admin.conf, which the CLI reads, has both)")
	fl.StringSliceVar(&f.tlsSANs, "tls-san", nil, "another host name or IP address for the API's serving certificate (repeatable; the listen address, localhost, 127.0.0.1 and the host name are always in it)")
	fl.BoolVar(&f.plainHTTP, "insecure-plain-http", false, "TEST ONLY: serve the API over plain HTTP (loopback addresses only), to measure what TLS costs")
	_ = fl.MarkHidden("insecure-plain-http")
	fl.DurationVar(&f.poll, "poll", gitsync.DefaultPollInterval, "poll interval for remote repos (local repos are watched and need none)")
	fl.StringVar(&f.tokenFile, "git-token-file", "", "https: file holding the access token")
	fl.StringVar(&f.sshKey, "ssh-key-file", "", "ssh: private key file")
	fl.BoolVar(&f.noPrune, "no-prune", false, "never delete objects that vanished from git")
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "let a commit with no objects prune everything the source created")
	fl.StringVar(&f.config, "config", "", "controller config file (YAML or CUE) declaring the git sources; see examples/controller.yaml")
	fl.StringVar(&f.podNetworkBackend, "pod-network-backend", string(podnet.DefaultBackend), "how nodes reach each other's pod subnets, read by every agent at start: host-gw (a route via the node's IP; all nodes on one segment), vxlan (an overlay over UDP 8472; pods' MTU 50 lower), auto (host-gw to the nodes on-link, vxlan to the others)")
	fl.StringVar(&f.clusterID, "cluster-id", "", "the cluster's ID, the reconcile.cluster label on its Podman objects (default: kept in DATA/cluster-id, first made from the machine ID and the data directory's path)")
	fl.IntVar(&f.nodeMask, "node-cidr-mask-size", nodeipam.DefaultNodeMask, "size of each node's pod subnet in the cluster CIDR (Kubernetes' flag of that name): in 10.244.0.0/16, 24 gives 256 nodes of 254 pods, 26 gives 1,024 nodes of 62")
	fl.StringVar(&f.clusterCIDR, "cluster-cidr", nodeipam.DefaultClusterCIDR, "the pods' address range, cut into one subnet per node of --node-cidr-mask-size (kube-controller-manager's flag): 10.0.0.0/8 with /24 holds 65,536 nodes; give real agents the same --cluster-cidr")
	fl.IntVar(&f.maxInflight, "max-requests-inflight", apiserver.DefaultMaxRequestsInflight, "most API requests served at once, watches and followed logs aside (kube-apiserver's flag); one more is answered 429 with Retry-After and the agents retry with jitter; negative: no bound")
	f.limits.register(fl)
	f.lifecycle.register(fl)
	f.store.register(fl)
	fl.DurationVar(&f.hpaSync, "horizontal-pod-autoscaler-sync-period", controllers.DefaultHPASyncPeriod, "how often each HorizontalPodAutoscaler compares its pods' usage with its targets (kube-controller-manager's flag of the same name)")
	f.lbPool.register(fl)
	registerControllerMetrics(cmd, &f.metricsListen)
	f.ha.register(fl)
}

func newControllerCmd() *cobra.Command {
	f := &controllerFlags{}
	cmd := &cobra.Command{
		Use:   "controller --repo PATH|URL",
		Short: "Run the controller: git sync, validation, the store, controllers, scheduler and API server",
		Long: `Run the control plane alone. Hosts join it with 'reconcile join https://HOST:PORT --token TOKEN',
which the controller prints at every start with a fresh 24 h token ('reconcile token create' makes more);
agents with offline-provisioned credentials ('reconcile node credentials NAME') connect with 'reconcile
agent --config-file FILE'. Use 'reconcile up' to run the controller and a local agent in one process.

The API is served over HTTPS on every address it listens on, with the cluster CA that the first start
makes in DATA/pki (back up ca.key and ca.crt); the serving certificate names localhost, 127.0.0.1, the
host name, the --listen address and every --tls-san, and is renewed while the controller runs.
DATA/admin.conf holds the https:// URL, the CA, an admin certificate and the token. (A hidden
--insecure-plain-http serves plain HTTP on loopback only, to measure what TLS costs; never use it
otherwise.)`,
		Example: `  reconcile controller --repo /srv/desired-state --listen 0.0.0.0:7420 --tls-san api.example.com`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runController(cmd.Context(), f, newLogger(), nil)
		},
	}
	f.register(cmd)
	return cmd
}

// runController runs the control plane until ctx ends. extra, when set,
// runs alongside it (the local agent of `up`, given the controller's PKI
// and the API's local URL) once the API server listens.
func runController(ctx context.Context, f *controllerFlags, log *slog.Logger, extra func(ctx context.Context, p *credentials.ControllerPKI, nodes *nodecreds.Issuer, server string) error) error {
	fdlimit.RaiseLogged(log) // every agent's connections
	backend, err := podnet.ParseBackend(f.podNetworkBackend)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if f.plainHTTP && !apiserver.IsLoopback(f.listen) {
		return fmt.Errorf("--insecure-plain-http with --listen %s: plain HTTP is for benchmarks on loopback only (127.0.0.1:PORT)", f.listen)
	}
	ha := f.ha.options(f.data, f.listen, log)
	if err := controlplane.Bootstrap(ctx, ha); err != nil { // --join: the cluster's CA, token and keys first
		return err
	}
	token, err := apiToken(f.data)
	if err != nil {
		return err
	}
	p, err := credentials.OpenControllerPKI(f.data, f.listen, f.tlsSANs, nil)
	if err != nil {
		return err
	}
	plane, err := controlplane.Start(ctx, ha, p.CA) // nil on a single server
	if err != nil {
		return err
	}
	if plane != nil {
		defer plane.Close()
	}
	server := localURL(f.listen, !f.plainHTTP)
	writeAdmin := func() error { return writeAdminConfig(f.data, p.AdminConfig(server, token), log) }
	if err := writeAdmin(); err != nil {
		return err
	}
	limits, err := f.limits.resolve(f.config)
	if err != nil {
		return err
	}
	st, cli, closeStore, err := f.store.open(plane, f.data, log, limits.MaxObjectBytes, limits.MaxCommitObjects)
	if err != nil {
		return err
	}
	defer closeStore()
	if plane == nil && cli != nil { // an external etcd: the same election over the store's client
		if plane, err = controlplane.External(cli, ha); err != nil {
			return err
		}
	}
	cluster, err := clusterid.LoadOrCreate(f.data, st, f.clusterID, log)
	if err != nil {
		return err
	}
	id, err := secrets.LoadOrCreateIdentity(f.data)
	if err != nil {
		return err
	}
	v, err := schema.NewValidator()
	if err != nil {
		return err
	}
	v.SetLimits(limits)
	cfgs, err := sourceConfigs(f)
	if err != nil {
		return err
	}
	srcs, err := sources.New(st, v, log, cfgs)
	if err != nil {
		return err
	}
	srcs.SetIdentities(id)
	// Prometheus metrics (reconcile/metrics): the observers of the source
	// loop, the runner and the API, and the state read at scrape time.
	met := metrics.NewController(metrics.State{Sources: srcs, Store: st})
	srcs.SetObserver(met)
	clock, resync, err := testClock()
	if err != nil {
		return err
	}
	if clock != nil {
		log.Warn("TEST ONLY: Jobs and CronJobs run on an injected clock ("+testClockEnv+")", "now", clock())
	}
	// The token is required on every address, loopback included: any local
	// user can reach 127.0.0.1 (DATA/admin.conf, mode 0600, has it for root).
	nodes, err := nodecreds.New(nodecreds.Options{Store: st, CA: p.CA}) // join tokens, node certificates (join.go)
	if err != nil {
		return err
	}
	people, err := usercreds.New(usercreds.Options{Store: st, Nodes: nodes}) // people's certificates and tokens (users.go)
	if err != nil {
		return err
	}
	usage := podmetrics.New() // agents' pod usage, in memory as metrics-server's (HPA, top)
	srv := &apiserver.Server{Store: st, Syncer: leaderSyncs(plane, srcs), Log: log, Recipient: id.Recipient().String(), Token: token,
		PodNetworkBackend: string(backend), TLS: p.APIServerTLS(), AgentTLS: p.AgentTLS, Credentials: nodes, Users: people, Revoked: nodes.Revoked,
		Usage: usage, Leases: nodelease.NewTable()}
	srv.Observer = met
	srv.ControlPlane = controlPlaneAPI(plane)
	nodes.OnRevoke(srv.CloseNode)
	srv.BuildVersion = agent.BuildVersion() // the Kubernetes API's /version
	srv.NodeIPAM.NodeMask, srv.NodeIPAM.ClusterCIDR = f.nodeMask, f.clusterCIDR
	srv.MaxRequestsInflight = f.maxInflight
	if _, err := srv.NodeIPAM.Validate(); err != nil {
		return fmt.Errorf("--cluster-cidr %s with --node-cidr-mask-size %d: %w", f.clusterCIDR, f.nodeMask, err)
	}
	if f.plainHTTP {
		log.Warn("TEST ONLY: the API serves plain HTTP (--insecure-plain-http)", "listen", f.listen)
		srv.TLS = nil
	}
	ln, err := srv.Listen(f.listen) // before anything runs: up's agent connects at once
	if err != nil {
		return err
	}
	// Beyond loopback: the API's TLS and its guard (authz), so the same
	// certificates and tokens work, and a `metrics` role may read only this.
	ms, err := promkit.Open(promkit.Endpoint{Addr: f.metricsListen, Flag: "--metrics-listen", TLS: srv.TLS, Guard: srv.Guard, Log: log}, met.Registry())
	if err != nil {
		ln.Close()
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(ctx, ln) })
	g.Go(func() error { return ms.Run(ctx) })
	if plane != nil {
		g.Go(func() error { return plane.Wait(ctx) }) // a member that stops ends the controller
	}
	g.Go(func() error {
		p.Run(ctx, pki.RefreshEvery, func() {
			if err := writeAdmin(); err != nil {
				log.Error("rewriting the admin client config after its certificate was renewed", "err", err)
			}
		}, func(err error) {
			log.Error("renewing the controller's certificates (the current ones stay valid; fix and restart)", "dir", p.Dir, "err", err)
		})
		return nil
	})
	g.Go(func() error { // only the leader writes on its own (ha.go)
		return leaderOnly(ctx, plane, st, func(ctx context.Context, st *store.Store) error {
			lg, ctx := errgroup.WithContext(ctx)
			lg.Go(func() error {
				return controllers.NewManager(st, controllers.Options{Log: log, BatchNow: clock, Resync: resync, NodeLifecycle: f.lifecycle.l, Usage: usage,
					Leases: nodelease.Reader{Store: st, Local: srv.Leases, Fresh: f.lifecycle.l.WithDefaults().MonitorGracePeriod / 2}, HPASyncPeriod: f.hpaSync, LoadBalancer: controllers.LoadBalancerOptions{Pool: f.lbPool.pool}, Observer: met}).Run(ctx)
			})
			lg.Go(func() error { return srcs.RunOn(ctx, st) }) // commits written through the fenced store
			return lg.Wait()
		})
	})
	if extra != nil {
		g.Go(func() error { return extra(ctx, p, nodes, server) })
	}
	if !f.plainHTTP {
		if err := printJoinLine(os.Stderr, nodes, f.listen); err != nil {
			return err
		}
	}
	log.Info("controller running", "cluster", cluster, "listen", f.listen, "server", server, "ca-hash", p.CA.Hash(), "repo", f.repo, "data", f.data,
		"secrets-recipient", id.Recipient().String()) // what `reconcile secret encrypt --recipient` needs
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// apiToken returns the bearer token in the data directory, creating it at
// first start.
func apiToken(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	p := filepath.Join(dir, "api-token")
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(buf)
	if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write API token: %w", err)
	}
	return tok, nil
}
