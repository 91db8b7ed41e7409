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
	// subnet podCIDR and the pods' mtu (0: the default) and returns its
	// gateway.
	EnsureNetwork(ctx context.Context, name, podCIDR string, mtu int) (gateway netip.Addr, err error)
	// EnsureNoMasquerade keeps pod-to-pod traffic in clusterCIDR
	// unmasqueraded (podnet.Masquerade).
	EnsureNoMasquerade(ctx context.Context, clusterCIDR string) error
	// Dataplane holds the routes to the other nodes' pod subnets and the
	// overlay's neighbour and FDB entries.
	podnet.Dataplane
	// OverlayMTU is the VXLAN device's MTU for nodeIP's link.
	OverlayMTU(ctx context.Context, nodeIP string) (int, error)
	// EnsureVXLAN makes the node's VXLAN device (podnet.Netlink's).
	EnsureVXLAN(ctx context.Context, nodeIP, podCIDR string) (podnet.VTEP, error)
	// RemoveVXLAN deletes it (a host-gw node's leftover of another backend).
	RemoveVXLAN(ctx context.Context) error
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
	// Backend is the pod network backend; "" asks ClusterBackend.
	Backend podnet.Backend
	// ClusterBackend tells the cluster's backend (GET /api/v1/cluster's
	// podNetworkBackend; "" there means podnet.DefaultBackend).
	ClusterBackend func(ctx context.Context) (string, error)
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
	backend, err := resolveBackend(ctx, o, log)
	if err != nil {
		return res, err
	}
	if err := o.Host.EnableForwarding(); err != nil {
		return res, err
	}
	// The Podman network first: netavark refuses a subnet that an address
	// of the host overlaps, as the VXLAN device's will.
	mtu := 0
	if backend.UsesOverlay() {
		if mtu, err = o.Host.OverlayMTU(ctx, host.IP); err != nil {
			log.Error("pod network: no VXLAN overlay; this node runs host-gw: pods on nodes that are not on its segment cannot reach its pods", "backend", backend, "err", err)
			backend = podnet.HostGW
		}
	}
	gw, err := o.Host.EnsureNetwork(ctx, o.Network, cidr, mtu)
	if err != nil && backend.UsesOverlay() {
		// The VTEP address of an earlier run overlaps the subnet of a
		// network that must be recreated (its MTU changed): the device
		// goes and is made again below.
		if o.Host.RemoveVXLAN(ctx) == nil {
			gw, err = o.Host.EnsureNetwork(ctx, o.Network, cidr, mtu)
		}
	}
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
	backend, annotations := overlay(ctx, o.Host, backend, host.IP, cidr, log)
	go podnet.KeepPeers(ctx, o.Nodes, o.Host, o.NodeName, backend, log)
	host.Annotations = annotations
	res.HostInfo = &host // the agent registers the node again with the annotations
	res.Network, res.PodCIDR = o.Network, cidr
	res.DNS = &agent.PodDNS{Server: gw.String(), ClusterDomain: domain}
	res.ServiceEnv = disc.ServiceEnv
	log.Info("pod network ready", "network", o.Network, "podCIDR", cidr, "backend", backend, "mtu", mtu, "dns", discovery.Addr(gw.String()), "upstreams", upstreams)
	return res, nil
}

func (o Options) check() error {
	var missing []error
	for name, ok := range map[string]bool{"NodeName": o.NodeName != "", "ClusterCIDR": o.ClusterCIDR != "",
		"Registrar": o.Registrar != nil, "Backend or ClusterBackend": o.Backend != "" || o.ClusterBackend != nil, "Nodes": o.Nodes != nil, "Services": o.Services != nil, "Host": o.Host != nil} {
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
	var last error
	err := backoff(o).DelayFunc().Until(ctx, true, true, func(ctx context.Context) (bool, error) {
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

// resolveBackend is o.Backend, or else the cluster's, asked with
// o.Backoff's retries until the controller answers or ctx ends.
func resolveBackend(ctx context.Context, o Options, log *slog.Logger) (podnet.Backend, error) {
	if o.Backend != "" {
		return podnet.ParseBackend(string(o.Backend))
	}
	var backend podnet.Backend
	var last error
	err := backoff(o).DelayFunc().Until(ctx, true, true, func(ctx context.Context) (bool, error) {
		var s string
		if s, last = o.ClusterBackend(ctx); last == nil {
			backend, last = podnet.ParseBackend(s)
		}
		if last != nil {
			log.Warn("pod network: asking the controller for the cluster's backend failed; retrying", "err", last)
		}
		return last == nil, nil
	})
	if err != nil {
		return "", fmt.Errorf("pod network: the cluster's backend (GET /api/v1/cluster): %w (last error: %v)", err, last)
	}
	return backend, nil
}

// overlay readies the VXLAN device when backend uses one and returns the
// backend the node runs and the node's annotations. A device that cannot be made leaves the node on host-gw
// (peers that are not on-link stay unreachable, and say so in the log);
// under host-gw a device an earlier backend left is removed.
func overlay(ctx context.Context, h Host, backend podnet.Backend, nodeIP, podCIDR string, log *slog.Logger) (podnet.Backend, map[string]string) {
	if backend.UsesOverlay() {
		vtep, err := h.EnsureVXLAN(ctx, nodeIP, podCIDR)
		if err == nil {
			return backend, map[string]string{podnet.AnnotationBackend: string(backend), podnet.AnnotationVXLANMAC: vtep.MAC}
		}
		log.Error("pod network: no VXLAN device; this node runs host-gw: pods on nodes that are not on its segment cannot reach its pods", "backend", backend, "err", err)
		backend = podnet.HostGW
	} else if err := h.RemoveVXLAN(ctx); err != nil {
		log.Warn("pod network: a VXLAN device of an earlier backend stays", "err", err)
	}
	return backend, map[string]string{podnet.AnnotationBackend: string(backend)}
}

func backoff(o Options) wait.Backoff {
	if o.Backoff == (wait.Backoff{}) {
		return DefaultBackoff
	}
	return o.Backoff
}
