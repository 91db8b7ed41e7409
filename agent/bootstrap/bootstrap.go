package bootstrap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/discovery"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/agent/proxy"
)

// Registrar creates or updates the Node object: agent.ControlPlane's
// RegisterNode (apiclient.ControlPlane over HTTP).
type Registrar interface {
	RegisterNode(ctx context.Context, node *corev1.Node) error
}

// Host is what Start changes on this machine. PodmanHost is the real one.
type Host interface {
	// EnableForwarding turns on IPv4 forwarding.
	EnableForwarding() error
	// EnsureNetwork makes (or checks) the Podman bridge network name with
	// subnet podCIDR and returns its gateway.
	EnsureNetwork(ctx context.Context, name, podCIDR string) (gateway netip.Addr, err error)
	// EnsureNoMasquerade keeps pod-to-pod traffic in clusterCIDR
	// unmasqueraded (podnet.Masquerade).
	EnsureNoMasquerade(ctx context.Context, clusterCIDR string) error
	// RouteTable holds the routes to the other nodes' pod subnets.
	podnet.RouteTable
	// ServeDNS serves srv on addr until ctx ends.
	ServeDNS(ctx context.Context, srv *discovery.Server, addr string)
}

// DefaultBackoff spaces the registration attempts: 0.5 s doubling to 10 s,
// then every 10 s until ctx ends.
var DefaultBackoff = wait.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 6, Cap: 10 * time.Second}

// Options configure Start.
type Options struct {
	NodeName string
	// NodeIP is the node's InternalIP, where other nodes route its pods'
	// traffic ("": agent.ReadHostInfo's, the first global IPv4 address).
	NodeIP string
	// Network is the Podman network pods join; "" runs pods on Podman's
	// default network: no registration here, no cluster DNS, no routes.
	Network string
	// ClusterCIDR is every node's pods' range (no masquerade inside it).
	ClusterCIDR string
	// ClusterDomain of services (default discovery.DefaultDomain);
	// ResolvConf lists the resolvers names outside it are forwarded to
	// (default /etc/resolv.conf).
	ClusterDomain, ResolvConf string

	Registrar Registrar
	Nodes     podnet.NodeSource
	Services  proxy.Source
	// ListServices, when set, lists one namespace's services when a
	// container starts (discovery.Discovery.ListServices).
	ListServices func(ctx context.Context, namespace string) ([]*corev1.Service, error)
	Host         Host
	// Backoff spaces registration attempts (zero: DefaultBackoff).
	Backoff wait.Backoff
	Log     *slog.Logger
}

// Result is what the agent (agent.Options) and the proxy
// (proxy.Options.NodePodCIDR) need from the pod network.
type Result struct {
	// HostInfo is what the node registers with when NodeIP was given
	// (agent.Options.Host); nil: the agent reads it itself.
	HostInfo *agent.HostInfo
	// Network is the Podman network pods join ("": Podman's default).
	Network string
	// PodCIDR is this node's pod subnet when its pods are on it.
	PodCIDR string
	// DNS is the cluster resolver of ClusterFirst pods (nil: none).
	DNS *agent.PodDNS
	// ServiceEnv gives a namespace's service variables (nil: none).
	ServiceEnv func(ctx context.Context, namespace string) (map[string]string, error)
}

// AgentOptions sets the agent options that come from the pod network.
func (r Result) AgentOptions(o *agent.Options) {
	if r.HostInfo != nil {
		o.Host = r.HostInfo
	}
	o.Network, o.DNS, o.ServiceEnv = r.Network, r.DNS, r.ServiceEnv
}

// Start readies the pod network (see the package doc) and returns what
// the agent and the proxy need. It blocks until the node has its podCIDR;
// the goroutines it starts (DNS, discovery, routes) end with ctx. Only a
// missing option or ctx ending is an error; a Podman network that cannot
// be made falls back to Podman's default network.
func Start(ctx context.Context, o Options) (Result, error) {
	log := cmp.Or(o.Log, slog.Default())
	var res Result
	host := agent.ReadHostInfo()
	if o.NodeIP != "" {
		host.IP = o.NodeIP
		res.HostInfo = &host
	}
	if o.Network == "" {
		return res, nil
	}
	if err := o.check(); err != nil {
		return res, err
	}
	// Register now (the agent registers again as it starts): the
	// controller assigns the podCIDR at registration.
	if err := register(ctx, o, host, log); err != nil {
		return res, err
	}
	cidr, err := podnet.PodCIDR(ctx, o.Nodes, o.NodeName, log)
	if err != nil {
		return res, err
	}
	if err := o.Host.EnableForwarding(); err != nil {
		return res, err
	}
	gw, err := o.Host.EnsureNetwork(ctx, o.Network, cidr)
	if err != nil {
		log.Error("pod network unavailable: pods use Podman's default network without cluster DNS or routes to other nodes; fix the cause and restart the agent (or pass --pod-network= to silence this)", "err", err)
		return res, nil
	}
	if err := o.Host.EnsureNoMasquerade(ctx, o.ClusterCIDR); err != nil {
		log.Warn("pod network: traffic to pods on other nodes will be masqueraded to this node's address", "err", err)
	}
	domain := cmp.Or(o.ClusterDomain, discovery.DefaultDomain)
	upstreams, err := discovery.Upstreams(cmp.Or(o.ResolvConf, "/etc/resolv.conf"), gw.String())
	if err != nil {
		log.Warn("dns: names outside the cluster domain will fail", "err", err)
	}
	srv := discovery.NewServer(domain, upstreams, log)
	go o.Host.ServeDNS(ctx, srv, discovery.Addr(gw.String()))
	disc := discovery.New(o.Services, srv, domain, log)
	disc.ListServices = o.ListServices
	go disc.Run(ctx)
	go podnet.KeepRoutes(ctx, o.Nodes, o.Host, o.NodeName, log)
	res.Network, res.PodCIDR = o.Network, cidr
	res.DNS = &agent.PodDNS{Server: gw.String(), ClusterDomain: domain}
	res.ServiceEnv = disc.ServiceEnv
	log.Info("pod network ready", "network", o.Network, "podCIDR", cidr, "dns", discovery.Addr(gw.String()), "upstreams", upstreams)
	return res, nil
}

func (o Options) check() error {
	var missing []error
	for name, ok := range map[string]bool{"NodeName": o.NodeName != "", "ClusterCIDR": o.ClusterCIDR != "",
		"Registrar": o.Registrar != nil, "Nodes": o.Nodes != nil, "Services": o.Services != nil, "Host": o.Host != nil} {
		if !ok {
			missing = append(missing, fmt.Errorf("bootstrap.Options.%s is not set", name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("pod network %s: %w (a wiring bug: pass --pod-network= to run without it)", o.Network, errors.Join(missing...))
	}
	return nil
}

// register registers the node, retrying with o.Backoff until it succeeds
// or ctx ends.
func register(ctx context.Context, o Options, host agent.HostInfo, log *slog.Logger) error {
	b := o.Backoff
	if b == (wait.Backoff{}) {
		b = DefaultBackoff
	}
	var last error
	err := b.DelayFunc().Until(ctx, true, true, func(ctx context.Context) (bool, error) {
		last = o.Registrar.RegisterNode(ctx, agent.NodeObject(o.NodeName, host, "", time.Now()))
		if last != nil {
			log.Warn("pod network: registering the node failed; retrying", "node", o.NodeName, "err", last)
		}
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("pod network: registering node %s: %w (last error: %v)", o.NodeName, err, last)
	}
	return nil
}
