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
	ChainLoadBalancers    = "RECONCILE-LOADBALANCERS"     // nat: LoadBalancer ingress addresses (only when there are any)
	chainPrefix           = "RECONCILE-"
	shardChainPrefix      = "RECONCILE-SVC-" // nat: a shard, the services whose ClusterIP ends in one byte
	sepChainPrefix        = "RECONCILE-SEP-" // one per endpoint of a service port: DNAT
	extChainPrefix        = "RECONCILE-EXT-" // one per NodePort: mark for masquerade, then DNAT
)

// MasqMark is the packet mark bit that asks RECONCILE-POSTROUTING to
// masquerade (kube-proxy uses the same bit; both mean the same thing).
const MasqMark = "0x4000"

// markMasq marks a packet for masquerade. It is written inline rather
// than as a jump to a marking chain (kube-proxy's KUBE-MARK-MASQ): every
// jump costs iptables-nft a scan of the table's chains.
const markMasq = "-j MARK --set-xmark " + MasqMark + "/" + MasqMark

// affinityTimeout is Kubernetes' default sessionAffinityConfig timeout.
const affinityTimeout = 10800

// Options tune rendering. The zero value is valid.
type Options struct {
	// ClusterCIDR, when set, masquerades traffic to a ClusterIP coming
	// from outside it (like kube-proxy's --cluster-cidr), so replies from
	// a pod on another node come back through this node.
	ClusterCIDR string
	// NodePodCIDR, when set, is this node's own pod subnet: only its
	// endpoints get hairpin rules, since a pod on another node never
	// reaches a ClusterIP through this node's rules. At 10,000 services
	// this halves the rules the kernel validates on every commit. Empty
	// (or unparsable): every endpoint gets them, as kube-proxy does.
	NodePodCIDR string
	// ServiceCIDR, when set, is the range ClusterIPs are allocated from
	// (reconcile.DefaultServiceNetwork, 10.96.0.0/16): a new connection
	// still addressed to it after the nat table is rejected in the filter
	// table, because no service rule took it (an unallocated ClusterIP, a
	// port the service does not have, rules not yet written). Without
	// this, such a packet follows the default route out of the node, as
	// kube-proxy's nftables mode also prevents. Empty (or unparsable): no
	// such rule.
	ServiceCIDR string
	// NodeName is this node's name: the endpoints whose nodeName it is
	// are local, the only ones that externalTrafficPolicy Local
	// (NodePort and load balancer traffic, client address kept) and
	// internalTrafficPolicy Local (ClusterIP traffic) send to. Empty: no
	// endpoint is local, so such services drop that traffic here.
	NodeName string
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

// ruleCount is the number of rules in rs's chains.
func (rs Ruleset) ruleCount() int {
	n := 0
	for _, c := range rs.Chains {
		n += len(c.Rules)
	}
	return n
}

// Hook is a jump from a built-in chain into an owned chain. Hooks are the
// only rules the proxy writes outside its chains.
type Hook struct {
	Table, Chain, Rule string
	// First hooks must be the first rule of their chain: an ACCEPT that
	// someone inserted above them would let through what they reject.
	// Podman's netavark inserts `-j NETAVARK_FORWARD` (which accepts
	// everything from its subnets) at the top of FORWARD when it sets up
	// its first network, which on a fresh host is after the agent's first
	// sync; a pod's packet to an unallocated ClusterIP would then leave by
	// the default route. HasHook reports a First hook found lower down as
	// missing, and the Proxier moves it back to the top.
	First bool
}

// anywhere is h without the First requirement.
func (h Hook) anywhere() Hook { h.First = false; return h }

// Hooks are the jumps the proxy needs, as kube-proxy's: nat PREROUTING
// (traffic from pods and other hosts) and OUTPUT (the node itself) into
// RECONCILE-SERVICES, POSTROUTING into RECONCILE-POSTROUTING; filter
// rejects for services without endpoints (and, with Options.ServiceCIDR,
// for what no service rule took) on new connections, first in FORWARD and
// OUTPUT.
var Hooks = []Hook{
	{TableNAT, "PREROUTING", `-m comment --comment "reconcile service portals" -j ` + ChainServices, false},
	{TableNAT, "OUTPUT", `-m comment --comment "reconcile service portals" -j ` + ChainServices, false},
	{TableNAT, "POSTROUTING", `-m comment --comment "reconcile postrouting rules" -j ` + ChainPostrouting, false},
	{TableFilter, "INPUT", `-m conntrack --ctstate NEW -m comment --comment "reconcile externally-visible service portals" -j ` + ChainExternalServices, false},
	{TableFilter, "FORWARD", `-m conntrack --ctstate NEW -m comment --comment "reconcile service portals" -j ` + ChainServices, true},
	{TableFilter, "OUTPUT", `-m conntrack --ctstate NEW -m comment --comment "reconcile service portals" -j ` + ChainServices, true},
}

// Render turns services and endpoints into the proxy's rules. It is pure
// and deterministic: the same input gives the same text, whatever the
// order of the slices.
//
// Services are spread over shard chains by the last byte of their
// ClusterIP: RECONCILE-SERVICES jumps to RECONCILE-SVC-<byte> with
// `-d 0.0.0.<byte>/0.0.0.255` (one jump per shard in use, not one per
// service). Per service port with ready endpoints, its shard holds rules
// matching ClusterIP:port that mark hairpin traffic (a pod calling its
// own service) for masquerade and DNAT to one endpoint chosen with
// `-m statistic --mode random` (probability 1/n, 1/(n-1), …, so each is
// equally likely). With sessionAffinity ClientIP the rules first send a
// client seen before (`-m recent`) to the same endpoint, and each endpoint
// has a RECONCILE-SEP-<hash> chain that records the client and DNATs. A
// NodePort adds a rule in RECONCILE-NODEPORTS (reached from
// RECONCILE-SERVICES for local destination addresses: every node address)
// into RECONCILE-EXT-<hash>: mark for masquerade (the reply must come back
// through this node), then the same endpoint choice.
// RECONCILE-POSTROUTING masquerades marked packets. A service port without
// ready endpoints has no nat rules but REJECT rules in the filter table,
// so clients fail at once rather than hang; with Options.ServiceCIDR, so
// does any address and port of that range no service rule took. Headless services (clusterIP
// None) and ExternalName services get no rules.
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
	// memo holds the last render's fragments; spare and eps are kept
	// only to be refilled (at 10,000 services, growing fresh maps on
	// every sync cost more than the rendering they spare).
	memo, spare map[nsName]*memoEntry
	eps         map[nsName]*corev1.Endpoints
	shardLen    [shards]int // rules per shard last time: the capacity to allocate
	memoOpts    Options     // the Options the memo was rendered with
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
	shard                                                  int      // last byte of the ClusterIP
	shardRules, nodePorts, loadBalancers, filter, external []string // rules in the shared chains
	chains                                                 []Chain  // the service's own chains (EXT, SEP)
}

// shards is the number of shard chains: one per value of the ClusterIP's
// last byte.
const shards = 256

// Render returns the rules of services and endpoints.
func (r *Renderer) Render(services []*corev1.Service, endpoints []*corev1.Endpoints) Ruleset {
	if r.Options != r.memoOpts {
		r.memo, r.memoOpts = nil, r.Options // rendered with other options: forget
	}
	if r.eps == nil {
		r.eps = make(map[nsName]*corev1.Endpoints, len(endpoints))
	}
	eps := r.eps
	clear(eps)
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
	loadBalancers := Chain{Table: TableNAT, Name: ChainLoadBalancers, Unordered: true}
	filterServices := Chain{Table: TableFilter, Name: ChainServices, Unordered: true}
	external := Chain{Table: TableFilter, Name: ChainExternalServices, Unordered: true}
	shardRules := make([][]string, shards)
	for i, n := range r.shardLen {
		if n > 0 {
			shardRules[i] = make([]string, 0, n)
		}
	}
	perService := make([]Chain, 0, len(svcs))
	next := r.spare
	if next == nil {
		next = make(map[nsName]*memoEntry, len(svcs))
	}
	clear(next)
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
			next[id] = &memoEntry{key, f}
		}
		shardRules[f.shard] = append(shardRules[f.shard], f.shardRules...)
		nodePorts.Rules = append(nodePorts.Rules, f.nodePorts...)
		loadBalancers.Rules = append(loadBalancers.Rules, f.loadBalancers...)
		filterServices.Rules = append(filterServices.Rules, f.filter...)
		external.Rules = append(external.Rules, f.external...)
		perService = append(perService, f.chains...)
	}
	r.memo, r.spare = next, r.memo
	clear(eps) // hold no objects between renders
	var shardChains []Chain
	for i, rules := range shardRules {
		r.shardLen[i] = len(rules)
		if len(rules) == 0 {
			continue // no chain and no jump for a shard without rules
		}
		c := Chain{Table: TableNAT, Name: shardChain(i), Rules: rules}
		natServices.Rules = append(natServices.Rules, fmt.Sprintf("-d 0.0.0.%d/0.0.0.255 -j %s", i, c.Name))
		shardChains = append(shardChains, c)
	}
	if r := serviceCIDRReject(r.Options.ServiceCIDR); r != "" {
		filterServices.Rules = append(filterServices.Rules, r)
	}
	if len(loadBalancers.Rules) > 0 {
		// Load balancer addresses: node addresses and pool addresses
		// routed to this node (not LOCAL), so not under the nodeports
		// jump. Only when some service has one, so clusters without
		// LoadBalancer Services pay no extra jump.
		natServices.Rules = append(natServices.Rules,
			`-m comment --comment "reconcile load balancer ingress addresses" -j `+ChainLoadBalancers)
	}
	natServices.Rules = append(natServices.Rules,
		`-m comment --comment "reconcile service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j `+ChainNodePorts)

	rs := Ruleset{Chains: []Chain{
		{Table: TableNAT, Name: ChainPostrouting, Rules: []string{
			"-m mark ! --mark " + MasqMark + "/" + MasqMark + " -j RETURN",
			"-j MARK --set-xmark " + MasqMark + "/0x0",
			`-m comment --comment "reconcile service traffic requiring SNAT" -j MASQUERADE`,
		}},
		natServices, nodePorts, filterServices, external,
	}}
	if len(loadBalancers.Rules) > 0 {
		rs.Chains = append(rs.Chains, loadBalancers)
	}
	rs.Chains = append(rs.Chains, shardChains...)
	rs.Chains = append(rs.Chains, perService...)
	return rs
}

// serviceCIDRReject is the filter rule that rejects what is still
// addressed to the service CIDR after nat ("" without a valid IPv4 CIDR).
// After DNAT a serviced packet's destination is a pod, so the rule only
// catches packets no service rule took. It rejects as a service without
// endpoints does (port unreachable: the client sees "connection refused"
// at once), so its place among those rules does not matter: the chain is
// one-rule-per-service and a partial sync appends.
func serviceCIDRReject(cidr string) string {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return ""
	}
	return fmt.Sprintf(`-d %s -m comment --comment "reconcile: no service at this cluster IP and port" -j REJECT --reject-with icmp-port-unreachable`, p.Masked())
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
	ports := servicePorts(svc, ep, opts)
	if len(ports) == 0 {
		return f
	}
	f.shard = int(netip.MustParseAddr(ports[0].clusterIP).As4()[3])
	for _, v := range ports {
		name, proto, ip := v.name, v.proto, v.clusterIP
		targets := v.targets
		dport := fmt.Sprintf("-p %s -m %s --dport %d", proto, proto, v.port)
		// Every rule of the service port in its shard matches the
		// ClusterIP and port first: the shard is shared.
		dst := fmt.Sprintf("-d %s/32 %s", ip, dport)
		if len(targets) == 0 {
			reject := fmt.Sprintf(`-m comment --comment "%s has no endpoints" -j REJECT --reject-with icmp-port-unreachable`, name)
			f.filter = append(f.filter, dst+" "+reject)
			if v.nodePort != 0 {
				f.external = append(f.external, fmt.Sprintf(
					`-p %s -m addrtype --dst-type LOCAL -m %s --dport %d %s`, proto, proto, v.nodePort, reject))
			}
			for _, lb := range v.lbIPs {
				// INPUT for a node's own address, FORWARD for a pool
				// address routed through this node.
				r := fmt.Sprintf("-d %s/32 %s %s", lb, dport, reject)
				f.external = append(f.external, r)
				f.filter = append(f.filter, r)
			}
			continue
		}
		var seps []Chain
		if v.affinity {
			seps = affinityChains(name, proto, targets)
			f.chains = append(f.chains, seps...)
		}
		local, localSeps := v.local, localChains(targets, v.local, seps)
		if v.external() {
			f.renderExternal(v, seps, local, localSeps, opts)
		}
		if v.internalLocal {
			if len(local) == 0 {
				// kube-proxy's words and target: the ClusterIP is
				// dropped here (not rejected: the service has
				// endpoints, elsewhere).
				f.filter = append(f.filter, fmt.Sprintf(`%s -m comment --comment "%s has no local endpoints" -j DROP`, dst, name))
				continue
			}
			targets, seps = local, localSeps
		}
		if opts.ClusterCIDR != "" {
			f.shardRules = append(f.shardRules, fmt.Sprintf(`! -s %s %s -m comment --comment "%s cluster IP" %s`, opts.ClusterCIDR, dst, name, markMasq))
		}
		if !v.affinity {
			f.shardRules = append(f.shardRules, hairpin(dst+" ", name, targets, opts)...)
		}
		f.shardRules = append(f.shardRules, balance(dst, "", name, targets, seps, v.timeout)...)
	}
	return f
}

// renderExternal renders a service port's external entry points — its
// NodePort (RECONCILE-NODEPORTS) and its load balancer addresses
// (RECONCILE-LOADBALANCERS, only from loadBalancerSourceRanges when set)
// — into one RECONCILE-EXT chain, as kube-proxy's KUBE-EXT chains.
//
// externalTrafficPolicy Cluster: mark for masquerade (the reply must come
// back through this node), then any ready endpoint. Local: pod traffic
// (from the cluster CIDR) and the node's own traffic still go to any
// endpoint (the node's own is masqueraded); other clients go only to this
// node's endpoints, not masqueraded, so the pod sees the client's address.
// A node without a local endpoint renders no such rule: the packet keeps
// its destination and the filter table drops it ("has no local
// endpoints"), as kube-proxy does, so an external load balancer's health
// check steers clients away from the node. Traffic to a load balancer
// address from outside loadBalancerSourceRanges is dropped the same way.
func (f *fragment) renderExternal(v portView, seps []Chain, local []string, localSeps []Chain, opts Options) {
	name, proto, targets, timeout := v.name, v.proto, v.targets, v.timeout
	ext := Chain{Table: TableNAT, Name: extChainPrefix + chainHash(name, proto)}
	dport := fmt.Sprintf("-p %s -m %s --dport %d", proto, proto, v.port)
	if v.nodePort != 0 {
		f.nodePorts = append(f.nodePorts, fmt.Sprintf(`-p %s -m %s --dport %d -m comment --comment "%s" -j %s`, proto, proto, v.nodePort, name, ext.Name))
	}
	for _, lb := range v.lbIPs {
		if len(v.sourceRanges) == 0 {
			f.loadBalancers = append(f.loadBalancers, fmt.Sprintf(`-d %s/32 %s -m comment --comment "%s loadbalancer IP" -j %s`, lb, dport, name, ext.Name))
			continue
		}
		for _, r := range v.sourceRanges {
			f.loadBalancers = append(f.loadBalancers, fmt.Sprintf(`-s %s -d %s/32 %s -m comment --comment "%s loadbalancer IP" -j %s`, r, lb, dport, name, ext.Name))
		}
		drop := fmt.Sprintf(`-d %s/32 %s -m comment --comment "%s traffic not accepted by loadBalancerSourceRanges" -j DROP`, lb, dport, name)
		f.external = append(f.external, drop)
		f.filter = append(f.filter, drop)
	}
	if !v.externalLocal {
		ext.Rules = append(ext.Rules, fmt.Sprintf(`-m comment --comment "masquerade traffic for %s external destinations" %s`, name, markMasq))
		ext.Rules = append(ext.Rules, balance("-p "+proto, "-m "+proto, name, targets, seps, timeout)...)
		f.chains = append(f.chains, ext)
		return
	}
	if seps == nil {
		// Pod traffic is not masqueraded on this path, so a pod
		// reaching its own service needs the hairpin mark here.
		ext.Rules = append(ext.Rules, hairpin("", name, targets, opts)...)
	}
	if opts.ClusterCIDR != "" {
		ext.Rules = append(ext.Rules, balance(fmt.Sprintf(`-s %s -p %s`, opts.ClusterCIDR, proto), "-m "+proto, name, targets, seps, timeout)...)
	}
	ext.Rules = append(ext.Rules, fmt.Sprintf(`-m addrtype --src-type LOCAL -m comment --comment "masquerade LOCAL traffic for %s external destinations" %s`, name, markMasq))
	ext.Rules = append(ext.Rules, balance(fmt.Sprintf(`-p %s -m addrtype --src-type LOCAL`, proto), "-m "+proto, name, targets, seps, timeout)...)
	if len(local) > 0 {
		ext.Rules = append(ext.Rules, balance("-p "+proto, "-m "+proto, name, local, localSeps, timeout)...)
	} else {
		noLocal := fmt.Sprintf(`-m comment --comment "%s has no local endpoints" -j DROP`, name)
		if v.nodePort != 0 {
			f.external = append(f.external, fmt.Sprintf(`-p %s -m addrtype --dst-type LOCAL -m %s --dport %d %s`, proto, proto, v.nodePort, noLocal))
		}
		for _, lb := range v.lbIPs {
			r := fmt.Sprintf("-d %s/32 %s %s", lb, dport, noLocal)
			f.external = append(f.external, r)
			f.filter = append(f.filter, r)
		}
	}
	f.chains = append(f.chains, ext)
}

// hairpin marks for masquerade a pod reaching its own service (match is
// put after the source), or its reply would skip the reverse NAT. Only
// targets on this node (Options.NodePodCIDR) can be the caller. (With
// sessionAffinity the SEP chains mark.)
func hairpin(match, name string, targets []string, opts Options) []string {
	var out []string
	for _, t := range hairpinTargets(targets, opts) {
		out = append(out, fmt.Sprintf(`-s %s/32 %s-m comment --comment "%s hairpin" %s`, hostOf(t), match, name, markMasq))
	}
	return out
}

// localChains are the affinity chains of the local targets (nil without
// affinity).
func localChains(targets, local []string, seps []Chain) []Chain {
	if seps == nil {
		return nil
	}
	var out []Chain
	for _, t := range local {
		if i, ok := slices.BinarySearch(targets, t); ok {
			out = append(out, seps[i])
		}
	}
	return out
}

// balance returns the rules that send a packet matching match to one of
// targets: with seps (sessionAffinity ClientIP), first a `-m recent
// --rcheck` rule per endpoint (a client seen within the timeout goes to
// the endpoint it used before, as kube-proxy does), then a random choice
// of SEP chain; without, a random choice DNATed inline (no per-endpoint
// chain: iptables-nft resolves every jump by scanning the table's chains,
// and the kernel validates every chain on each commit). before is put
// before the DNAT target (the protocol match that --to-destination needs
// when match has none).
func balance(match, before, name string, targets []string, seps []Chain, timeout int) []string {
	var rules []string
	if seps != nil {
		for i, t := range targets {
			rules = append(rules, fmt.Sprintf(
				`%s -m comment --comment "%s -> %s" -m recent --rcheck --seconds %d --reap --name %s --mask 255.255.255.255 --rsource -j %s`,
				match, name, t, timeout, seps[i].Name, seps[i].Name))
		}
	}
	for i, t := range targets {
		stat := ""
		if n := len(targets) - i; n > 1 {
			stat = " -m statistic --mode random --probability " + probability(n)
		}
		target := "-j DNAT --to-destination " + t
		if seps != nil {
			target = "-j " + seps[i].Name
		} else if before != "" {
			target = before + " " + target
		}
		rules = append(rules, fmt.Sprintf(`%s -m comment --comment "%s -> %s"%s %s`, match, name, t, stat, target))
	}
	return rules
}

// probability is 1/n as iptables-save prints it: the statistic module
// keeps it as a 31-bit fraction, so 1/3 reads back as 0.33333333349.
// Rendering the same text keeps golden files and the kernel in agreement.
func probability(n int) string {
	q := math.Round(float64(1<<31) / float64(n))
	return fmt.Sprintf("%0.11f", q/float64(1<<31))
}

// affinityChains returns a RECONCILE-SEP chain per endpoint for
// sessionAffinity ClientIP, as kube-proxy's: it marks hairpin traffic,
// records the client (`-m recent --set`) and DNATs.
func affinityChains(name, proto string, targets []string) []Chain {
	seps := make([]Chain, len(targets))
	for i, t := range targets {
		seps[i] = Chain{Table: TableNAT, Name: sepChainPrefix + chainHash(name, proto, t)}
		seps[i].Rules = append(seps[i].Rules,
			fmt.Sprintf(`-s %s/32 -m comment --comment "%s" %s`, hostOf(t), name, markMasq),
			fmt.Sprintf(`-p %s -m comment --comment "%s" -m recent --set --name %s --mask 255.255.255.255 --rsource -m %s -j DNAT --to-destination %s`, proto, name, seps[i].Name, proto, t))
	}
	return seps
}

func hostOf(target string) string { return target[:strings.LastIndexByte(target, ':')] }

// readyTargets returns "ip:port" of the ready addresses (those on node
// only, when node is set) of the Endpoints' port named portName (the
// service port's name; the Endpoints controller has resolved targetPort,
// by number or container port name, per pod), sorted and without
// duplicates.
func readyTargets(ep *corev1.Endpoints, portName, node string) []string {
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
				if node != "" && (a.NodeName == nil || *a.NodeName != node) {
					continue
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

// shardChain names the shard chain of ClusterIPs ending in byte i.
func shardChain(i int) string { return fmt.Sprintf("%s%03d", shardChainPrefix, i) }

// Owned reports whether chain is one of the proxy's.
func Owned(chain string) bool { return strings.HasPrefix(chain, chainPrefix) }
