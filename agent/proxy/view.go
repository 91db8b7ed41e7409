package proxy

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// portView is one service port as the renderers see it: the decisions of
// Kubernetes' semantics (which addresses are ready, which are local,
// whether the port has a NodePort, what the traffic policies and load
// balancer addresses are) made once, so the iptables and the nftables
// renderers only differ in how they write them.
type portView struct {
	name          string // "namespace/name" or "namespace/name:port", for comments and chain names
	clusterIP     string
	proto         string // "tcp", "udp" or "sctp"
	port          int32
	nodePort      int32    // 0: none (or the type does not open it)
	lbIPs         []string // status.loadBalancer.ingress IPv4 addresses, sorted
	sourceRanges  []string // loadBalancerSourceRanges, masked, sorted
	targets       []string // "ip:port" of the ready endpoints, sorted
	local         []string // the targets on Options.NodeName (only with a policy Local)
	internalLocal bool     // internalTrafficPolicy Local
	externalLocal bool     // externalTrafficPolicy Local
	affinity      bool     // sessionAffinity ClientIP
	timeout       int      // the affinity's timeout, seconds
}

// servicePorts returns the ports of svc with their endpoints in ep, or
// nothing for a service the proxy does not program (headless,
// ExternalName, no IPv4 ClusterIP).
func servicePorts(svc *corev1.Service, ep *corev1.Endpoints, opts Options) []portView {
	ip := svc.Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if addr, err := netip.ParseAddr(ip); err != nil || !addr.Is4() {
		return nil // never render what iptables or nft (IPv4) would refuse
	}
	lbIPs, ranges := loadBalancerIPs(svc), sourceRanges(svc)
	affinity := svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP
	timeout := affinityTimeout
	if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
		timeout = int(*c.ClientIP.TimeoutSeconds)
	}
	internalLocal := svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal
	externalLocal := svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	out := make([]portView, 0, len(svc.Spec.Ports))
	for _, sp := range svc.Spec.Ports {
		v := portView{name: svc.Namespace + "/" + svc.Name, clusterIP: ip, proto: strings.ToLower(string(sp.Protocol)), port: sp.Port,
			lbIPs: lbIPs, sourceRanges: ranges, affinity: affinity, timeout: timeout,
			internalLocal: internalLocal, externalLocal: externalLocal}
		if v.proto == "" {
			v.proto = "tcp"
		}
		if sp.Name != "" {
			v.name += ":" + sp.Name
		}
		if sp.NodePort != 0 && (svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer) {
			v.nodePort = sp.NodePort
		}
		v.targets = readyTargets(ep, sp.Name, "")
		if (internalLocal || externalLocal) && opts.NodeName != "" {
			v.local = readyTargets(ep, sp.Name, opts.NodeName)
		}
		out = append(out, v)
	}
	return out
}

// external reports whether the port has entry points from outside the
// cluster: a NodePort or load balancer addresses.
func (v portView) external() bool { return v.nodePort != 0 || len(v.lbIPs) > 0 }

// hairpinTargets are the targets that may be the caller of their own
// service through this node's rules: those in Options.NodePodCIDR, or all
// without it.
func hairpinTargets(targets []string, opts Options) []string {
	local, _ := netip.ParsePrefix(opts.NodePodCIDR)
	if !local.IsValid() {
		return targets
	}
	var out []string
	for _, t := range targets {
		if a, err := netip.ParseAddr(hostOf(t)); err == nil && local.Contains(a) {
			out = append(out, t)
		}
	}
	return out
}

// loadBalancerIPs are the IPv4 addresses of a LoadBalancer Service's
// status.loadBalancer.ingress, sorted, without duplicates.
func loadBalancerIPs(svc *corev1.Service) []string {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil
	}
	var out []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(in.IP); err == nil && a.Is4() {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sourceRanges are the valid IPv4 CIDRs of loadBalancerSourceRanges
// (masked, sorted, without duplicates).
func sourceRanges(svc *corev1.Service) []string {
	var out []string
	for _, r := range svc.Spec.LoadBalancerSourceRanges {
		if p, err := netip.ParsePrefix(strings.TrimSpace(r)); err == nil && p.Addr().Is4() {
			out = append(out, p.Masked().String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
