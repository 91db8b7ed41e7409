package agent

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/miekg/dns"

	nettypes "github.com/containers/common/libnetwork/types"
	"github.com/containers/podman/v5/pkg/specgen"
	corev1 "k8s.io/api/core/v1"
)

// This file is the agent's side of the pod network and of service
// discovery (package agent/discovery): which Podman network a pod joins,
// which resolver it gets, and the service variables of its containers.

// PodDNS is the cluster resolver pods get with dnsPolicy ClusterFirst.
type PodDNS struct {
	Server        string // the agent's DNS server, e.g. the pod network gateway 10.244.1.1
	ClusterDomain string // default cluster.local
}

// podNetwork puts the pod on the node's pod network with its resolver; a
// hostNetwork pod joins no network (it has the node's).
func (a *Agent) podNetwork(pod *corev1.Pod, cfg *PodConfig) {
	if !pod.Spec.HostNetwork {
		cfg.Network = a.opts.Network
	}
	cfg.DNSServers, cfg.DNSSearch, cfg.DNSOptions = podDNSConfig(pod, a.opts.DNS, a.nodeResolverFor(pod))
}

// nodeResolverFor reads the node's resolver for a pod that merges a
// dnsConfig into it, nil for the others (Podman copies the node's file).
func (a *Agent) nodeResolverFor(pod *corev1.Pod) *NodeResolver {
	if pod.Spec.DNSConfig == nil {
		return nil
	}
	return nodeResolver()
}

// podDNSConfig is the pod's resolv.conf as the kubelet writes it: the
// cluster resolver with the namespace's search path and ndots:5 for
// ClusterFirst (the default), the node's own resolv.conf for Default (empty
// results: Podman copies the host's), only spec.dnsConfig for None;
// spec.dnsConfig is merged into the first two. On the host's network
// ClusterFirst means Default and only ClusterFirstWithHostNet gets the
// cluster resolver (the kubelet's rule). With the node's resolver, a
// dnsConfig is merged into node's servers and search path (empty when
// unknown), as the kubelet merges it into its --resolv-conf. It is pure.
func podDNSConfig(pod *corev1.Pod, d *PodDNS, node *NodeResolver) (servers, searches, options []string) {
	policy := pod.Spec.DNSPolicy
	switch {
	case policy == "" && pod.Spec.HostNetwork:
		policy = corev1.DNSDefault
	case policy == "":
		policy = corev1.DNSClusterFirst
	case policy == corev1.DNSClusterFirst && pod.Spec.HostNetwork:
		policy = corev1.DNSDefault
	case policy == corev1.DNSClusterFirstWithHostNet:
		policy = corev1.DNSClusterFirst
	}
	if policy == corev1.DNSClusterFirst && d != nil && d.Server != "" {
		domain := strings.TrimSuffix(d.ClusterDomain, ".")
		if domain == "" {
			domain = "cluster.local"
		}
		servers = []string{d.Server}
		searches = []string{pod.Namespace + ".svc." + domain, "svc." + domain, domain}
		options = []string{"ndots:5"}
	} else if policy != corev1.DNSNone && pod.Spec.DNSConfig != nil && node != nil {
		servers = append(servers, node.Servers...)
		searches = append(searches, node.Searches...)
	}
	if dc := pod.Spec.DNSConfig; dc != nil {
		servers = appendNew(servers, dc.Nameservers...)
		searches = appendNew(searches, dc.Searches...)
		for _, o := range dc.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			options = mergeOption(options, o.Name, opt)
		}
	}
	return servers, searches, options
}

// NodeResolver is the node's own resolver (its resolv.conf).
type NodeResolver struct{ Servers, Searches []string }

// nodeResolver reads the node's /etc/resolv.conf; nil when it cannot.
func nodeResolver() *NodeResolver {
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	return &NodeResolver{Servers: cfg.Servers, Searches: cfg.Search}
}

// appendNew appends the values list lacks, as the kubelet merges lists.
func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// mergeOption replaces an option of the same name (a pod's ndots:2 wins
// over the cluster's ndots:5) or adds it.
func mergeOption(options []string, name, opt string) []string {
	for i, o := range options {
		if o == name || strings.HasPrefix(o, name+":") {
			options[i] = opt
			return options
		}
	}
	return append(options, opt)
}

// podNetworkSpec sets a Podman pod spec's network and DNS from cfg.
func podNetworkSpec(ps *specgen.PodSpecGenerator, cfg PodConfig) {
	if cfg.Network != "" {
		ps.NetNS = specgen.Namespace{NSMode: specgen.Bridge}
		ps.Networks = map[string]nettypes.PerNetworkOptions{cfg.Network: {}}
	}
	for _, s := range cfg.DNSServers {
		if ip := net.ParseIP(s); ip != nil {
			ps.DNSServer = append(ps.DNSServer, ip)
		}
	}
	ps.DNSSearch = cfg.DNSSearch
	ps.DNSOption = cfg.DNSOptions
}

// serviceVars are the service variables a container of pod starts with
// (enableServiceLinks, default true), looked up once per namespace and sync.
// The map is the caller's to change.
func (oc *objectCache) serviceVars(ctx context.Context, pod *corev1.Pod) (map[string]string, error) {
	env := map[string]string{}
	if oc.serviceEnv == nil || (pod.Spec.EnableServiceLinks != nil && !*pod.Spec.EnableServiceLinks) {
		return env, nil
	}
	oc.mu.Lock()
	vars, ok := oc.services[pod.Namespace]
	oc.mu.Unlock()
	if !ok {
		var err error
		if vars, err = oc.serviceEnv(ctx, pod.Namespace); err != nil {
			return nil, fmt.Errorf("service variables of namespace %s: %w", pod.Namespace, err)
		}
		oc.mu.Lock()
		if oc.services == nil {
			oc.services = map[string]map[string]string{}
		}
		oc.services[pod.Namespace] = vars
		oc.mu.Unlock()
	}
	for k, v := range vars {
		env[k] = v
	}
	return env, nil
}
