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
	ChainExternalServices = "RECONCILE-EXTERNAL-SERVICES" // filter: NodePorts without endpoints
	chainPrefix           = "RECONCILE-"
	svcChainPrefix        = "RECONCILE-SVC-" // one per service port: balances over endpoints
	sepChainPrefix        = "RECONCILE-SEP-" // one per endpoint of a service port: DNAT
	extChainPrefix        = "RECONCILE-EXT-" // one per NodePort: mark for masquerade, then SVC
)

// masqMark is the packet mark bit that asks RECONCILE-POSTROUTING to
// masquerade (kube-proxy uses the same bit; both mean the same thing).
const masqMark = "0x4000"

// markMasq marks a packet for masquerade. It is written inline rather
// than as a jump to a marking chain (kube-proxy's KUBE-MARK-MASQ): every
// jump costs iptables-nft a scan of the table's chains.
const markMasq = "-j MARK --set-xmark " + masqMark + "/" + masqMark

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
// (ClusterIP:port) jumps to RECONCILE-SVC-<hash>, which marks hairpin
// traffic (a pod calling its own service) for masquerade and DNATs to one
// endpoint chosen with `-m statistic --mode random` (probability 1/n,
// 1/(n-1), …, so each is equally likely). With sessionAffinity ClientIP
// the SVC chain first sends a client seen before (`-m recent`) to the
// same endpoint, and each endpoint has a RECONCILE-SEP-<hash> chain that
// records the client and DNATs. A NodePort adds a rule in
// RECONCILE-NODEPORTS (reached from RECONCILE-SERVICES for local
// destination addresses: every node address) into RECONCILE-EXT-<hash>:
// mark for masquerade (the reply must come back through this node), then
// the SVC chain. RECONCILE-POSTROUTING masquerades marked packets. A
// service port without ready endpoints keeps its (empty) SVC chain and
// gets REJECT rules in the filter table, so clients fail at once rather
// than hang. Headless
// services (clusterIP None) and ExternalName services get no rules.
func Render(services []*corev1.Service, endpoints []*corev1.Endpoints, opts Options) Ruleset {
	return (&Renderer{Options: opts}).Render(services, endpoints)
}

// Renderer renders like Render and remembers each service's rules by the
// resourceVersions of the Service and its Endpoints, so a sync after one
// change at 10,000 services formats one service's rules, not 10,000.
// Objects without a resourceVersion are always rendered. Not safe for
// concurrent use.
type Renderer struct {
	Options Options
	memo    map[nsName]memoEntry
}

type nsName struct{ namespace, name string }

type memoEntry struct {
	key  renderedFrom
	frag fragment
}

// renderedFrom identifies the objects a fragment was rendered from.
type renderedFrom struct{ svcUID, svcRV, epUID, epRV string }

// fragment is one service's share of the rules.
type fragment struct {
	nat, nodePorts, filter, external []string
	chains                           []Chain
}

// Render returns the rules of services and endpoints.
func (r *Renderer) Render(services []*corev1.Service, endpoints []*corev1.Endpoints) Ruleset {
	eps := make(map[nsName]*corev1.Endpoints, len(endpoints))
	for _, e := range endpoints {
		eps[nsName{e.Namespace, e.Name}] = e
	}
	svcs := slices.Clone(services)
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	natServices := Chain{Table: TableNAT, Name: ChainServices, Unordered: true}
	nodePorts := Chain{Table: TableNAT, Name: ChainNodePorts, Unordered: true}
	filterServices := Chain{Table: TableFilter, Name: ChainServices, Unordered: true}
	external := Chain{Table: TableFilter, Name: ChainExternalServices, Unordered: true}
	natServices.Rules = make([]string, 0, len(svcs)+1)
	perService := make([]Chain, 0, len(svcs))
	next := make(map[nsName]memoEntry, len(r.memo))
	for _, svc := range svcs {
		id := nsName{svc.Namespace, svc.Name}
		ep := eps[id]
		var f fragment
		if key, ok := memoKey(svc, ep); !ok {
			f = renderService(svc, ep, r.Options)
		} else if m, ok := r.memo[id]; ok && m.key == key {
			f = m.frag
			next[id] = m
		} else {
			f = renderService(svc, ep, r.Options)
			next[id] = memoEntry{key, f}
		}
		natServices.Rules = append(natServices.Rules, f.nat...)
		nodePorts.Rules = append(nodePorts.Rules, f.nodePorts...)
		filterServices.Rules = append(filterServices.Rules, f.filter...)
		external.Rules = append(external.Rules, f.external...)
		perService = append(perService, f.chains...)
	}
	r.memo = next
	natServices.Rules = append(natServices.Rules,
		`-m comment --comment "reconcile service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j `+ChainNodePorts)

	rs := Ruleset{Chains: []Chain{
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

// memoKey identifies what a service's rules were rendered from: the uid
// and resourceVersion of the Service and of its Endpoints (false when one
// has no resourceVersion: not remembered).
func memoKey(svc *corev1.Service, ep *corev1.Endpoints) (renderedFrom, bool) {
	k := renderedFrom{svcUID: string(svc.UID), svcRV: svc.ResourceVersion}
	if ep != nil {
		k.epUID, k.epRV = string(ep.UID), ep.ResourceVersion
		if ep.ResourceVersion == "" {
			return k, false
		}
	}
	return k, svc.ResourceVersion != ""
}

// renderService renders one service's rules.
func renderService(svc *corev1.Service, ep *corev1.Endpoints, opts Options) fragment {
	var f fragment
	ip := svc.Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return f
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
		targets := readyTargets(ep, sp.Name)
		dport := fmt.Sprintf("-p %s -m %s --dport %d", proto, proto, sp.Port)
		if len(targets) == 0 {
			f.filter = append(f.filter, fmt.Sprintf(
				`-d %s/32 %s -m comment --comment "%s has no endpoints" -j REJECT --reject-with icmp-port-unreachable`, ip, dport, name))
			if nodePort {
				f.external = append(f.external, fmt.Sprintf(
					`-p %s -m addrtype --dst-type LOCAL -m %s --dport %d -m comment --comment "%s has no endpoints" -j REJECT --reject-with icmp-port-unreachable`, proto, proto, sp.NodePort, name))
			}
		}
		// The SVC chain and the jumps to it exist with or without
		// endpoints (an empty chain lets the packet on to the filter
		// REJECT): endpoints coming or going then only rewrite this
		// chain, and adding no jump spares the kernel a validation of
		// every chain reachable from the hooks (~70 ms at 10,000
		// services).
		svcChain := Chain{Table: TableNAT, Name: svcChainPrefix + chainHash(name, proto)}
		f.nat = append(f.nat, fmt.Sprintf(`-d %s/32 %s -m comment --comment "%s cluster IP" -j %s`, ip, dport, name, svcChain.Name))
		if nodePort {
			ext := Chain{Table: TableNAT, Name: extChainPrefix + chainHash(name, proto)}
			f.nodePorts = append(f.nodePorts, fmt.Sprintf(`-p %s -m %s --dport %d -m comment --comment "%s" -j %s`, proto, proto, sp.NodePort, name, ext.Name))
			ext.Rules = append(ext.Rules,
				fmt.Sprintf(`-m comment --comment "masquerade traffic for %s external destinations" %s`, name, markMasq),
				"-j "+svcChain.Name)
			f.chains = append(f.chains, ext)
		}
		if len(targets) == 0 {
			f.chains = append(f.chains, svcChain)
			continue
		}
		if opts.ClusterCIDR != "" {
			svcChain.Rules = append(svcChain.Rules, fmt.Sprintf(`! -s %s -d %s/32 %s -m comment --comment "%s cluster IP" %s`, opts.ClusterCIDR, ip, dport, name, markMasq))
		}
		affinity := svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP
		if affinity {
			var seps []Chain
			svcChain.Rules, seps = affinityRules(svc, name, proto, svcChain.Rules, targets)
			f.chains = append(f.chains, svcChain)
			f.chains = append(f.chains, seps...)
			continue
		}
		// Without affinity the DNAT is in the SVC chain itself: no
		// per-endpoint chain, so 10,000 services are 10,000 chains,
		// not 30,000 (iptables-nft resolves every jump by scanning
		// the table's chains: the cost grows with chains × jumps).
		for _, t := range targets {
			svcChain.Rules = append(svcChain.Rules, fmt.Sprintf(`-s %s/32 -m comment --comment "%s hairpin" %s`, hostOf(t), name, markMasq))
		}
		for i, t := range targets {
			stat := ""
			if n := len(targets) - i; n > 1 {
				stat = " -m statistic --mode random --probability " + probability(n)
			}
			svcChain.Rules = append(svcChain.Rules, fmt.Sprintf(`-p %s -m comment --comment "%s -> %s"%s -m %s -j DNAT --to-destination %s`, proto, name, t, stat, proto, t))
		}
		f.chains = append(f.chains, svcChain)
	}
	return f
}

// probability is 1/n as iptables-save prints it: the statistic module
// keeps it as a 31-bit fraction, so 1/3 reads back as 0.33333333349.
// Rendering the same text keeps golden files and the kernel in agreement.
func probability(n int) string {
	q := math.Round(float64(1<<31) / float64(n))
	return fmt.Sprintf("%0.11f", q/float64(1<<31))
}

// affinityRules extends an SVC chain for sessionAffinity ClientIP, as
// kube-proxy does: first a `-m recent --rcheck` rule per endpoint (a
// client seen within the timeout goes to the endpoint it used before),
// then the random choice; each endpoint has its RECONCILE-SEP chain, which
// records the client (`-m recent --set`) and DNATs.
func affinityRules(svc *corev1.Service, name, proto string, rules []string, targets []string) ([]string, []Chain) {
	timeout := affinityTimeout
	if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
		timeout = int(*c.ClientIP.TimeoutSeconds)
	}
	seps := make([]Chain, len(targets))
	for i, t := range targets {
		seps[i] = Chain{Table: TableNAT, Name: sepChainPrefix + chainHash(name, proto, t)}
		rules = append(rules, fmt.Sprintf(
			`-m comment --comment "%s -> %s" -m recent --rcheck --seconds %d --reap --name %s --mask 255.255.255.255 --rsource -j %s`, name, t, timeout, seps[i].Name, seps[i].Name))
	}
	for i, t := range targets {
		if n := len(targets) - i; n > 1 {
			rules = append(rules, fmt.Sprintf(`-m comment --comment "%s -> %s" -m statistic --mode random --probability %s -j %s`, name, t, probability(n), seps[i].Name))
		} else {
			rules = append(rules, fmt.Sprintf(`-m comment --comment "%s -> %s" -j %s`, name, t, seps[i].Name))
		}
		seps[i].Rules = append(seps[i].Rules,
			fmt.Sprintf(`-s %s/32 -m comment --comment "%s" %s`, hostOf(t), name, markMasq),
			fmt.Sprintf(`-p %s -m comment --comment "%s" -m recent --set --name %s --mask 255.255.255.255 --rsource -m %s -j DNAT --to-destination %s`, proto, name, seps[i].Name, proto, t))
	}
	return rules, seps
}

func hostOf(target string) string { return target[:strings.LastIndexByte(target, ':')] }

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
