package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The chains the proxy owns. Everything else in the tables belongs to
// someone else and is never touched.
const (
	ChainServices         = "RECONCILE-SERVICES"          // nat and filter: per-service entry points
	ChainNodePorts        = "RECONCILE-NODEPORTS"         // nat: NodePort entry points
	ChainPostrouting      = "RECONCILE-POSTROUTING"       // nat: masquerade marked packets
	ChainMarkMasq         = "RECONCILE-MARK-MASQ"         // nat: mark a packet for masquerade
	ChainExternalServices = "RECONCILE-EXTERNAL-SERVICES" // filter: NodePorts without endpoints
	chainPrefix           = "RECONCILE-"
	svcChainPrefix        = "RECONCILE-SVC-" // one per service port: balances over endpoints
	sepChainPrefix        = "RECONCILE-SEP-" // one per endpoint of a service port: DNAT
	extChainPrefix        = "RECONCILE-EXT-" // one per NodePort: mark for masquerade, then SVC
)

// masqMark is the packet mark bit that asks RECONCILE-POSTROUTING to
// masquerade (kube-proxy uses the same bit; both mean the same thing).
const masqMark = "0x4000"

// affinityTimeout is Kubernetes' default sessionAffinityConfig timeout.
const affinityTimeout = 10800

// Options tune rendering. The zero value is valid.
type Options struct {
	// ClusterCIDR, when set, masquerades traffic to a ClusterIP coming
	// from outside it (like kube-proxy's --cluster-cidr), so replies from
	// a pod on another node come back through this node.
	ClusterCIDR string
}

// Table and chain names a Ruleset holds.
const (
	TableNAT    = "nat"
	TableFilter = "filter"
)

// Chain is one chain's rules, each rule the arguments after "-A CHAIN".
type Chain struct {
	Table, Name string
	Rules       []string
	// Unordered chains hold independent rules (one per service), so a
	// partial sync edits them rule by rule (-A/-D) instead of rewriting
	// 10,000 rules for one new service.
	Unordered bool
}

// Ruleset is everything the proxy wants in the kernel: its chains in a
// deterministic order, fixed chains first.
type Ruleset struct {
	Chains []Chain
}

// Hook is a jump from a built-in chain into an owned chain. Hooks are the
// only rules the proxy writes outside its chains.
type Hook struct{ Table, Chain, Rule string }

// Hooks are the jumps the proxy needs, as kube-proxy's: nat PREROUTING
// (traffic from pods and other hosts) and OUTPUT (the node itself) into
// RECONCILE-SERVICES, POSTROUTING into RECONCILE-POSTROUTING; filter
// rejects for services without endpoints on new connections.
var Hooks = []Hook{
	{TableNAT, "PREROUTING", `-m comment --comment "reconcile service portals" -j ` + ChainServices},
	{TableNAT, "OUTPUT", `-m comment --comment "reconcile service portals" -j ` + ChainServices},
	{TableNAT, "POSTROUTING", `-m comment --comment "reconcile postrouting rules" -j ` + ChainPostrouting},
	{TableFilter, "INPUT", `-m conntrack --ctstate NEW -m comment --comment "reconcile externally-visible service portals" -j ` + ChainExternalServices},
	{TableFilter, "FORWARD", `-m conntrack --ctstate NEW -m comment --comment "reconcile service portals" -j ` + ChainServices},
	{TableFilter, "OUTPUT", `-m conntrack --ctstate NEW -m comment --comment "reconcile service portals" -j ` + ChainServices},
}

// Render turns services and endpoints into the proxy's rules. It is pure
// and deterministic: the same input gives the same text, whatever the
// order of the slices.
//
// Per service port with ready endpoints: a rule in RECONCILE-SERVICES
// (ClusterIP:port) jumps to RECONCILE-SVC-<hash>, which picks an endpoint
// with `-m statistic --mode random` (probability 1/n, 1/(n-1), …, so each
// is equally likely) — or the endpoint a client used before, with
// sessionAffinity ClientIP (`-m recent`) — and jumps to its
// RECONCILE-SEP-<hash>, which DNATs (and marks hairpin traffic, a pod
// calling its own service, for masquerade). A NodePort adds a rule in
// RECONCILE-NODEPORTS (reached from RECONCILE-SERVICES for local
// destination addresses: every node address) into RECONCILE-EXT-<hash>:
// mark for masquerade (the reply must come back through this node), then
// the SVC chain. A service port without ready endpoints gets REJECT rules
// in the filter table instead, so clients fail at once rather than hang.
// Headless services (clusterIP None) and ExternalName services get no
// rules.
func Render(services []*corev1.Service, endpoints []*corev1.Endpoints, opts Options) Ruleset {
	eps := make(map[string]*corev1.Endpoints, len(endpoints))
	for _, e := range endpoints {
		eps[e.Namespace+"/"+e.Name] = e
	}
	svcs := slices.Clone(services)
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})

	natServices := Chain{Table: TableNAT, Name: ChainServices, Unordered: true}
	nodePorts := Chain{Table: TableNAT, Name: ChainNodePorts, Unordered: true}
	filterServices := Chain{Table: TableFilter, Name: ChainServices, Unordered: true}
	external := Chain{Table: TableFilter, Name: ChainExternalServices, Unordered: true}
	var perService []Chain

	for _, svc := range svcs {
		ip := svc.Spec.ClusterIP
		if ip == "" || ip == corev1.ClusterIPNone || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			proto := strings.ToLower(string(sp.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			name := svc.Namespace + "/" + svc.Name
			if sp.Name != "" {
				name += ":" + sp.Name
			}
			nodePort := sp.NodePort != 0 && (svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer)
			targets := readyTargets(eps[svc.Namespace+"/"+svc.Name], sp.Name)
			dport := fmt.Sprintf("-p %s -m %s --dport %d", proto, proto, sp.Port)
			if len(targets) == 0 {
				filterServices.Rules = append(filterServices.Rules, fmt.Sprintf(
					`-d %s/32 %s -m comment --comment "%s has no endpoints" -j REJECT --reject-with icmp-port-unreachable`, ip, dport, name))
				if nodePort {
					external.Rules = append(external.Rules, fmt.Sprintf(
						`-p %s -m addrtype --dst-type LOCAL -m %s --dport %d -m comment --comment "%s has no endpoints" -j REJECT --reject-with icmp-port-unreachable`, proto, proto, sp.NodePort, name))
				}
				continue
			}
			svcChain := Chain{Table: TableNAT, Name: svcChainPrefix + chainHash(name, proto)}
			natServices.Rules = append(natServices.Rules, fmt.Sprintf(`-d %s/32 %s -m comment --comment "%s cluster IP" -j %s`, ip, dport, name, svcChain.Name))
			if opts.ClusterCIDR != "" {
				svcChain.Rules = append(svcChain.Rules, fmt.Sprintf(`! -s %s -d %s/32 %s -m comment --comment "%s cluster IP" -j %s`, opts.ClusterCIDR, ip, dport, name, ChainMarkMasq))
			}
			if nodePort {
				ext := Chain{Table: TableNAT, Name: extChainPrefix + chainHash(name, proto)}
				nodePorts.Rules = append(nodePorts.Rules, fmt.Sprintf(`-p %s -m %s --dport %d -m comment --comment "%s" -j %s`, proto, proto, sp.NodePort, name, ext.Name))
				ext.Rules = append(ext.Rules,
					fmt.Sprintf(`-m comment --comment "masquerade traffic for %s external destinations" -j %s`, name, ChainMarkMasq),
					"-j "+svcChain.Name)
				perService = append(perService, ext)
			}
			affinity := svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP
			timeout := affinityTimeout
			if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
				timeout = int(*c.ClientIP.TimeoutSeconds)
			}
			seps := make([]Chain, len(targets))
			for i, t := range targets {
				seps[i] = Chain{Table: TableNAT, Name: sepChainPrefix + chainHash(name, proto, t)}
			}
			if affinity {
				for i, t := range targets {
					svcChain.Rules = append(svcChain.Rules, fmt.Sprintf(
						`-m comment --comment "%s -> %s" -m recent --rcheck --seconds %d --reap --name %s --mask 255.255.255.255 --rsource -j %s`, name, t, timeout, seps[i].Name, seps[i].Name))
				}
			}
			for i, t := range targets {
				n := len(targets) - i
				if n > 1 {
					svcChain.Rules = append(svcChain.Rules, fmt.Sprintf(`-m comment --comment "%s -> %s" -m statistic --mode random --probability %s -j %s`, name, t, probability(n), seps[i].Name))
				} else {
					svcChain.Rules = append(svcChain.Rules, fmt.Sprintf(`-m comment --comment "%s -> %s" -j %s`, name, t, seps[i].Name))
				}
				podIP := t[:strings.LastIndexByte(t, ':')]
				recent := ""
				if affinity {
					recent = fmt.Sprintf(" -m recent --set --name %s --mask 255.255.255.255 --rsource", seps[i].Name)
				}
				seps[i].Rules = append(seps[i].Rules,
					fmt.Sprintf(`-s %s/32 -m comment --comment "%s" -j %s`, podIP, name, ChainMarkMasq),
					fmt.Sprintf(`-p %s -m comment --comment "%s"%s -m %s -j DNAT --to-destination %s`, proto, name, recent, proto, t))
			}
			perService = append(perService, svcChain)
			perService = append(perService, seps...)
		}
	}
	natServices.Rules = append(natServices.Rules,
		`-m comment --comment "reconcile service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j `+ChainNodePorts)

	rs := Ruleset{Chains: []Chain{
		{Table: TableNAT, Name: ChainMarkMasq, Rules: []string{"-j MARK --set-xmark " + masqMark + "/" + masqMark}},
		{Table: TableNAT, Name: ChainPostrouting, Rules: []string{
			"-m mark ! --mark " + masqMark + "/" + masqMark + " -j RETURN",
			"-j MARK --set-xmark " + masqMark + "/0x0",
			`-m comment --comment "reconcile service traffic requiring SNAT" -j MASQUERADE`,
		}},
		natServices, nodePorts, filterServices, external,
	}}
	rs.Chains = append(rs.Chains, perService...)
	return rs
}

// probability is 1/n as iptables-save prints it: the statistic module
// keeps it as a 31-bit fraction, so 1/3 reads back as 0.33333333349.
// Rendering the same text keeps golden files and the kernel in agreement.
func probability(n int) string {
	q := math.Round(float64(1<<31) / float64(n))
	return fmt.Sprintf("%0.11f", q/float64(1<<31))
}

// readyTargets returns "ip:port" of the ready addresses of the Endpoints'
// port named portName (the service port's name; the Endpoints controller
// has resolved targetPort, by number or container port name, per pod),
// sorted and without duplicates.
func readyTargets(ep *corev1.Endpoints, portName string) []string {
	if ep == nil {
		return nil
	}
	var out []string
	for _, ss := range ep.Subsets {
		for _, p := range ss.Ports {
			if p.Name != portName {
				continue
			}
			for _, a := range ss.Addresses {
				if _, err := netip.ParseAddr(a.IP); err != nil {
					continue // never render what iptables would refuse
				}
				out = append(out, a.IP+":"+strconv.Itoa(int(p.Port)))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// chainHash names a per-service chain: 12 base32 characters of a SHA-256,
// so "RECONCILE-SEP-" + hash stays within iptables' 28-character limit and
// the name is stable across agents and restarts.
func chainHash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "|")))
	return base32.StdEncoding.EncodeToString(h[:])[:12]
}

// Owned reports whether chain is one of the proxy's.
func Owned(chain string) bool { return strings.HasPrefix(chain, chainPrefix) }
