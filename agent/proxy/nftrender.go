package proxy

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The nftables mode's table and its fixed parts, named as kube-proxy's
// nftables mode names its own (pkg/proxy/nftables/proxier.go). The table
// is the proxy's alone: nothing outside it is ever touched.
const (
	NFTTable = "reconcile" // family ip

	nftServices          = "services"            // nat: the ClusterIP/LB map, then NodePorts
	nftMarkForMasq       = "mark-for-masquerade" // sets MasqMark
	nftMasquerading      = "masquerading"        // nat postrouting: masquerade marked packets
	nftServiceCheck      = "service-endpoints-check"
	nftNodePortCheck     = "nodeport-endpoints-check"
	nftClusterIPsCheck   = "cluster-ips-check" // filter: the service CIDR no service took
	nftRejectChain       = "reject-chain"
	nftServiceIPs        = "service-ips"          // map ip . proto . port : verdict
	nftServiceNodePorts  = "service-nodeports"    // map proto . port : verdict
	nftNoEndpointSvcs    = "no-endpoint-services" // map ip . proto . port : verdict (filter)
	nftNoEndpointNodePts = "no-endpoint-nodeports"
	nftHairpin           = "hairpin-endpoints" // set ip . ip: an endpoint reached through its own service
	nftServiceEndpoints  = "service-endpoints" // map ip . proto . port . index : ip . port (endpoint choice)
	nftBalancePrefix     = "balance-"          // balance-N: DNAT to one of N endpoints through service-endpoints
)

// NFTBaseChain is a chain attached to a netfilter hook.
type NFTBaseChain struct {
	Type, Hook, Priority string
}

// NFTChain is one chain of the table and its rules in nft syntax.
type NFTChain struct {
	Name  string
	Base  *NFTBaseChain // nil: a regular chain
	Rules []string
}

// NFTElement is one element of a verdict map (its key's parts, joined
// with " . ", and its verdict) or, without a verdict, of the
// hairpin-endpoints set.
type NFTElement struct {
	Map   string
	Key   []string
	Value string
	id    string // Map and Key, the element's identity in diffs
}

// ident is e's identity: its map and key.
func (e NFTElement) ident() string {
	if e.id != "" {
		return e.id
	}
	return e.Map + "|" + strings.Join(e.Key, " . ")
}

// NFTSet is a dynamic set of client addresses (sessionAffinity ClientIP).
type NFTSet struct {
	Name    string
	Timeout int // seconds
}

// NFTRuleset is what the nftables mode wants in table ip reconcile: the
// chains (fixed ones first, then the services' in the order of their
// namespace and name), the affinity sets and the elements of the fixed
// maps and of the hairpin set.
//
// A ruleset made by an NFTRenderer holds in Chains only the fixed
// chains; the services' shares are in its parts, flattened (all) only
// for a full sync, so a sync that changes one service of 10,000 copies
// nothing of the others.
type NFTRuleset struct {
	Chains   []NFTChain
	Sets     []NFTSet
	Elements []NFTElement

	// What an NFTRenderer knows, so an incremental transaction looks
	// only at the services whose part changed (parts in the services'
	// order; a part unchanged since the last render is the same
	// pointer): the number of fixed chains (all of Chains), the parts,
	// the number of rules, and, when this render followed the one
	// numbered after (same renderer), the hairpin elements that came
	// and went since.
	fixed                        int
	parts                        []nftPart
	rules                        int
	chains                       int
	renderer                     *NFTRenderer
	gen                          int
	after                        int
	hairpinAdded, hairpinRemoved []NFTElement
}

type nftPart struct {
	id         nsName
	frag       *nftFragment
	key        renderedFrom // what frag was rendered from
	remembered bool         // key is valid: frag may be reused while it holds
}

// nftMaps are the table's maps and their key types (Type, or TypeOf
// when nft has no type name for a part: numgen's integer).
var nftMaps = []struct{ Name, Type, TypeOf string }{
	{nftServiceIPs, "ipv4_addr . inet_proto . inet_service : verdict", ""},
	{nftServiceNodePorts, "inet_proto . inet_service : verdict", ""},
	{nftNoEndpointSvcs, "ipv4_addr . inet_proto . inet_service : verdict", ""},
	{nftNoEndpointNodePts, "inet_proto . inet_service : verdict", ""},
	{nftServiceEndpoints, "", "ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport"},
}

// nftBalanceRule is the one DNAT rule of chain balance-N: the endpoint
// is the service-endpoints element of the packet's destination and a
// random index below n.
func nftBalanceRule(n int) string {
	return fmt.Sprintf("dnat ip to ip daddr . meta l4proto . th dport . numgen random mod %d map @%s", n, nftServiceEndpoints)
}

// RenderNFT is the nftables mode's Render: from the same services,
// endpoints and Options (the same portView decisions), the rules of table
// ip reconcile in kube-proxy's nftables layout.
//
// One verdict map, service-ips, sends (daddr . protocol . dport) of every
// ClusterIP and load balancer address to the service port's chain; for
// local destination addresses (`fib daddr type local`) service-nodeports
// sends (protocol . dport) to the port's external chain. A service chain
// picks an endpoint chain with `numgen random mod n 0 goto …` rules
// (1/n, 1/(n-1), …: not one anonymous `numgen … vmap` per service, see
// balance), after the affinity sets' `ip saddr @affinity-…` checks with
// sessionAffinity ClientIP; an endpoint chain marks hairpin traffic for masquerade,
// records the client for affinity and DNATs. So adding or changing a
// service touches its own chains and its map elements only. Ports without
// ready endpoints (or without local ones under a policy Local, or traffic
// from outside loadBalancerSourceRanges) have no such elements but
// elements of no-endpoint-services / no-endpoint-nodeports in the filter
// hooks, which reject (no endpoints) or drop (no local endpoints, source
// not allowed) what kept its destination, as the iptables mode's filter
// rules do.
func RenderNFT(services []*corev1.Service, endpoints []*corev1.Endpoints, opts Options) NFTRuleset {
	return (&NFTRenderer{Options: opts}).Render(services, endpoints)
}

// NFTRenderer renders like RenderNFT and remembers each service's part by
// the resourceVersions of the Service and its Endpoints, as Renderer
// does. Not safe for concurrent use.
type NFTRenderer struct {
	Options  Options
	eps      map[nsName]*corev1.Endpoints
	memoOpts Options

	// What the last render held, kept up to date part by part: its
	// parts, how many of them use each hairpin element and each
	// balance-N chain, and its number.
	last     []nftPart
	hairpins map[string]int
	balances map[int]int
	gen      int
	// The Options of those counts (the parts change with them).
	countedOpts Options
}

// nftFragment is one service's share of the table.
type nftFragment struct {
	chains   []NFTChain
	sets     []NFTSet
	elements []NFTElement
	balance  []int // the N of the balance-N chains its elements go to
	rules    int   // in its chains
}

// Render returns the table's contents for services and endpoints.
func (r *NFTRenderer) Render(services []*corev1.Service, endpoints []*corev1.Endpoints) NFTRuleset {
	if r.Options != r.memoOpts {
		r.last, r.memoOpts = nil, r.Options // nothing remembered applies
	}
	r.gen++
	// In the order of the services (namespace, name), each service's
	// part in its own order: deterministic without sorting the whole
	// table on every sync (at 10,000 services, sorting 30,000 elements
	// cost more than the kernel's part of a one-service change). Lists
	// that come sorted are not copied, and sorted endpoints are found by
	// walking them along (a map of 10,000 endpoints, filled and read on
	// every sync, was a third of a one-service sync's rendering).
	svcs := services
	if !slices.IsSortedFunc(svcs, func(a, b *corev1.Service) int { return cmpName(a.Namespace, a.Name, b.Namespace, b.Name) }) {
		svcs = slices.Clone(services)
		slices.SortFunc(svcs, func(a, b *corev1.Service) int { return cmpName(a.Namespace, a.Name, b.Namespace, b.Name) })
	}
	findEp := r.endpointsFinder(endpoints)
	defer clear(r.eps) // hold no objects between renders
	parts := make([]nftPart, 0, len(svcs))
	// The last render's parts are in the same order: a service's
	// remembered fragment is found by walking them along too.
	k := 0
	for _, svc := range svcs {
		id := nsName{svc.Namespace, svc.Name}
		ep := findEp(id)
		for k < len(r.last) && cmpID(r.last[k].id, id) < 0 {
			k++
		}
		key, ok := memoKey(svc, ep)
		var f *nftFragment
		if ok && k < len(r.last) && r.last[k].id == id && r.last[k].remembered && r.last[k].key == key {
			f = r.last[k].frag
		} else {
			fr := renderServiceNFT(svc, ep, r.Options)
			f = &fr
		}
		parts = append(parts, nftPart{id: id, frag: f, key: key, remembered: ok})
	}
	return r.account(parts)
}

// endpointsFinder returns the lookup of a service's Endpoints: by walking
// a sorted list along with the (sorted) services, or through a map.
func (r *NFTRenderer) endpointsFinder(endpoints []*corev1.Endpoints) func(nsName) *corev1.Endpoints {
	if slices.IsSortedFunc(endpoints, func(a, b *corev1.Endpoints) int { return cmpName(a.Namespace, a.Name, b.Namespace, b.Name) }) {
		j := 0
		return func(id nsName) *corev1.Endpoints {
			for j < len(endpoints) && cmpID(nsName{endpoints[j].Namespace, endpoints[j].Name}, id) < 0 {
				j++
			}
			if j < len(endpoints) && endpoints[j].Namespace == id.namespace && endpoints[j].Name == id.name {
				return endpoints[j]
			}
			return nil
		}
	}
	// The map is kept to be refilled: growing a fresh one on every sync
	// cost more than the rendering it spares.
	if r.eps == nil {
		r.eps = make(map[nsName]*corev1.Endpoints, len(endpoints))
	}
	clear(r.eps)
	for _, e := range endpoints {
		r.eps[nsName{e.Namespace, e.Name}] = e
	}
	return func(id nsName) *corev1.Endpoints { return r.eps[id] }
}

// cmpName orders objects by namespace, then name.
func cmpName(ans, an, bns, bn string) int {
	if c := strings.Compare(ans, bns); c != 0 {
		return c
	}
	return strings.Compare(an, bn)
}

func cmpID(a, b nsName) int { return cmpName(a.namespace, a.name, b.namespace, b.name) }

// account makes the ruleset of parts: it updates the counts of hairpin
// elements and balance chains by the parts that changed since the last
// render (only those are looked at), so the hairpin elements that came
// or went are known without listing every service's.
func (r *NFTRenderer) account(parts []nftPart) NFTRuleset {
	prevGen := r.gen - 1
	if r.hairpins == nil || r.countedOpts != r.Options {
		r.last, r.hairpins, r.balances, prevGen = nil, map[string]int{}, map[int]int{}, 0
		r.countedOpts = r.Options
	}
	// Hairpin counts before, of those touched (not needed after no
	// render: that ruleset is written whole).
	before := map[string]int{}
	touched := map[string]NFTElement{}
	first := r.last == nil
	count := func(f *nftFragment, d int) {
		for _, e := range f.elements {
			if e.Map == nftHairpin {
				if _, ok := before[e.id]; !ok && !first {
					before[e.id] = r.hairpins[e.id]
					touched[e.id] = e
				}
				if r.hairpins[e.id] += d; r.hairpins[e.id] == 0 {
					delete(r.hairpins, e.id)
				}
			}
		}
		for _, n := range f.balance {
			if r.balances[n] += d; r.balances[n] == 0 {
				delete(r.balances, n)
			}
		}
	}
	rules := 0
	mergeParts(r.last, parts, func(old, cur *nftFragment) {
		if old != nil {
			count(old, -1)
		}
		if cur != nil {
			count(cur, 1)
		}
	})
	rs := NFTRuleset{parts: parts, renderer: r, gen: r.gen, after: prevGen}
	for id, e := range touched {
		was, is := before[id] > 0, r.hairpins[id] > 0
		if !was && is {
			rs.hairpinAdded = append(rs.hairpinAdded, e)
		} else if was && !is {
			rs.hairpinRemoved = append(rs.hairpinRemoved, e)
		}
	}
	slices.SortFunc(rs.hairpinAdded, func(a, b NFTElement) int { return strings.Compare(a.id, b.id) })
	slices.SortFunc(rs.hairpinRemoved, func(a, b NFTElement) int { return strings.Compare(a.id, b.id) })
	rs.Chains = nftFixedChains(r.Options)
	ns := slices.Sorted(maps.Keys(r.balances))
	for _, n := range ns {
		c := NFTChain{Name: nftBalancePrefix + strconv.Itoa(n)}
		if r.Options.ClusterCIDR != "" {
			c.Rules = append(c.Rules, fmt.Sprintf("ip saddr != %s jump %s", r.Options.ClusterCIDR, nftMarkForMasq))
		}
		rs.Chains = append(rs.Chains, NFTChain{Name: c.Name, Rules: append(c.Rules, nftBalanceRule(n))})
	}
	rs.fixed = len(rs.Chains)
	for _, c := range rs.Chains {
		rules += len(c.Rules)
	}
	rs.chains = len(rs.Chains)
	for _, p := range parts {
		rules += p.frag.rules
		rs.chains += len(p.frag.chains)
	}
	rs.rules = rules
	r.last = parts
	return rs
}

// hairpinsOr is the renderer's hairpin counts (nil without a renderer).
func (r *NFTRenderer) hairpinsOr() map[string]int {
	if r == nil {
		return nil
	}
	return r.hairpins
}

// mergeParts walks two part lists in the services' order and calls
// changed for each service whose fragment differs (nil: not in that
// list).
func mergeParts(prev, next []nftPart, changed func(old, cur *nftFragment)) {
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		c := 0
		switch {
		case i == len(prev):
			c = 1
		case j == len(next):
			c = -1
		default:
			c = cmpID(prev[i].id, next[j].id)
		}
		switch {
		case c < 0:
			changed(prev[i].frag, nil)
			i++
		case c > 0:
			changed(nil, next[j].frag)
			j++
		default:
			if prev[i].frag != next[j].frag {
				changed(prev[i].frag, next[j].frag)
			}
			i++
			j++
		}
	}
}

// all is the whole table of rs: for a render, the fixed chains and every
// part's share, each hairpin element once (an endpoint of several
// services).
func (rs NFTRuleset) all() NFTRuleset {
	if rs.parts == nil {
		return rs
	}
	chains, sets, elements := len(rs.Chains), 0, 0
	for _, p := range rs.parts {
		chains, sets, elements = chains+len(p.frag.chains), sets+len(p.frag.sets), elements+len(p.frag.elements)
	}
	out := NFTRuleset{Chains: make([]NFTChain, 0, chains), Sets: make([]NFTSet, 0, sets), Elements: make([]NFTElement, 0, elements)}
	out.Chains = append(out.Chains, rs.Chains...)
	seen := make(map[string]bool, len(rs.renderer.hairpinsOr()))
	for _, p := range rs.parts {
		f := p.frag
		out.Chains = append(out.Chains, f.chains...)
		out.Sets = append(out.Sets, f.sets...)
		for _, e := range f.elements {
			if e.Map == nftHairpin {
				if seen[e.id] {
					continue
				}
				seen[e.id] = true
			}
			out.Elements = append(out.Elements, e)
		}
	}
	return out
}

// nftFixedChains are the base chains and the chains every sync has.
func nftFixedChains(opts Options) []NFTChain {
	base := func(typ, hook, prio string) *NFTBaseChain { return &NFTBaseChain{typ, hook, prio} }
	ctNew := "ct state new jump "
	forward := []string{ctNew + nftServiceCheck}
	output := []string{ctNew + nftServiceCheck}
	var clusterIPs []string
	if p, err := netip.ParsePrefix(opts.ServiceCIDR); err == nil && p.Addr().Is4() {
		// After nat: what is still addressed to the service CIDR is
		// what no service took.
		forward = append(forward, ctNew+nftClusterIPsCheck)
		output = append(output, ctNew+nftClusterIPsCheck)
		clusterIPs = []string{fmt.Sprintf(`ip daddr %s reject comment "reconcile: no service at this cluster IP and port"`, p.Masked())}
	}
	chains := []NFTChain{
		{Name: "nat-prerouting", Base: base("nat", "prerouting", "dstnat"), Rules: []string{"jump " + nftServices}},
		{Name: "nat-output", Base: base("nat", "output", "dstnat"), Rules: []string{"jump " + nftServices}},
		{Name: "nat-postrouting", Base: base("nat", "postrouting", "srcnat"), Rules: []string{"jump " + nftMasquerading}},
		// After the nat hooks (priority filter-1, dstnat is -100): a
		// packet serviced has its pod address by now.
		{Name: "filter-input", Base: base("filter", "input", "filter-1"), Rules: []string{ctNew + nftNodePortCheck, ctNew + nftServiceCheck}},
		{Name: "filter-forward", Base: base("filter", "forward", "filter-1"), Rules: forward},
		{Name: "filter-output", Base: base("filter", "output", "filter-1"), Rules: output},
		{Name: nftMarkForMasq, Rules: []string{"mark set mark or " + MasqMark}},
		{Name: nftMasquerading, Rules: []string{
			"ct status dnat ip saddr . ip daddr @" + nftHairpin + " masquerade fully-random",
			"mark and " + MasqMark + " == 0 return",
			"mark set mark xor " + MasqMark,
			"masquerade fully-random",
		}},
		{Name: nftServices, Rules: []string{
			"ip daddr . meta l4proto . th dport vmap @" + nftServiceIPs,
			"fib daddr type local meta l4proto . th dport vmap @" + nftServiceNodePorts,
		}},
		{Name: nftServiceCheck, Rules: []string{"ip daddr . meta l4proto . th dport vmap @" + nftNoEndpointSvcs}},
		{Name: nftNodePortCheck, Rules: []string{"fib daddr type local meta l4proto . th dport vmap @" + nftNoEndpointNodePts}},
		{Name: nftRejectChain, Rules: []string{"reject"}},
	}
	if clusterIPs != nil {
		chains = append(chains, NFTChain{Name: nftClusterIPsCheck, Rules: clusterIPs})
	}
	return chains
}

// nftPortName is "namespace/name/proto/port" (kube-proxy's chain name
// suffix) for a portView name "namespace/name[:port]".
func nftPortName(v portView) string {
	ns, rest, _ := strings.Cut(v.name, "/")
	svc, port, _ := strings.Cut(rest, ":")
	return ns + "/" + svc + "/" + v.proto + "/" + port
}

// nftChainName is kube-proxy's form: prefix, 8 characters of a hash (so
// names differing only in case or truncation stay distinct), the readable
// part.
func nftChainName(prefix, readable string) string {
	return prefix + "-" + chainHash(prefix, readable)[:8] + "-" + readable
}

func renderServiceNFT(svc *corev1.Service, ep *corev1.Endpoints, opts Options) nftFragment {
	var f nftFragment
	for _, v := range servicePorts(svc, ep, opts) {
		f.renderPort(v, opts)
	}
	for _, c := range f.chains {
		f.rules += len(c.Rules)
	}
	return f
}

func (f *nftFragment) element(m string, value string, key ...string) {
	e := NFTElement{Map: m, Key: key, Value: value}
	e.id = e.ident()
	f.elements = append(f.elements, e)
}

// renderPort renders one service port (see RenderNFT).
func (f *nftFragment) renderPort(v portView, opts Options) {
	pn := nftPortName(v)
	port, nodePort := strconv.Itoa(int(v.port)), strconv.Itoa(int(v.nodePort))
	reject := "goto " + nftRejectChain
	if len(v.targets) == 0 {
		f.element(nftNoEndpointSvcs, reject, v.clusterIP, v.proto, port)
		if v.nodePort != 0 {
			f.element(nftNoEndpointNodePts, reject, v.proto, nodePort)
		}
		for _, lb := range v.lbIPs {
			f.element(nftNoEndpointSvcs, reject, lb, v.proto, port)
		}
		return
	}
	// An endpoint is a DNAT statement, or with sessionAffinity ClientIP
	// a chain (shared by the cluster and external chains) that records
	// the client in its affinity set and DNATs. Hairpin traffic (a pod
	// reaching its own service) is masqueraded in postrouting by the
	// hairpin-endpoints set of (address . address) pairs, so no chain
	// per endpoint is needed for it: 20,000 fewer chains at 10,000
	// services, which every nft run lists into its cache.
	for _, t := range hairpinTargets(v.targets, opts) {
		host := hostOf(t)
		f.element(nftHairpin, "", host, host)
	}
	epChain := make(map[string]string, len(v.targets))
	var epChains []NFTChain
	var affinitySets map[string]string
	for _, t := range v.targets {
		if !v.affinity {
			continue
		}
		host, tport, _ := strings.Cut(t, ":")
		c := NFTChain{Name: nftChainName("endpoint", pn+"__"+host+"/"+tport)}
		if affinitySets == nil {
			affinitySets = map[string]string{}
		}
		set := nftChainName("affinity", pn+"__"+host+"/"+tport)
		affinitySets[t] = set
		f.sets = append(f.sets, NFTSet{Name: set, Timeout: v.timeout})
		c.Rules = append(c.Rules, "update @"+set+" { ip saddr }", fmt.Sprintf("meta l4proto %s dnat to %s", v.proto, t))
		epChain[t] = c.Name
		epChains = append(epChains, c)
	}
	// Only the endpoint chains some rule goes to are written (with
	// internalTrafficPolicy Local and no NodePort, the others are not).
	used := map[string]bool{}
	defer func() {
		for _, c := range epChains {
			if used[c.Name] {
				f.chains = append(f.chains, c)
			}
		}
	}()
	to := func(t string) string {
		if c, ok := epChain[t]; ok {
			used[c] = true
			return "goto " + c
		}
		return fmt.Sprintf("meta l4proto %s dnat to %s", v.proto, t)
	}
	balance := func(match string, targets []string) []string {
		var rules []string
		for _, t := range targets {
			if set, ok := affinitySets[t]; ok {
				rules = append(rules, fmt.Sprintf("%sip saddr @%s %s", match, set, to(t)))
			}
		}
		// As the iptables mode's statistic rules: 1/n, 1/(n-1), …, so
		// each endpoint is equally likely. Not one `numgen random mod n
		// vmap { … }` per service: each such rule makes an anonymous
		// map, and the kernel names a new one by scanning every set of
		// the table, which made a full sync of 10,000 services take 12 s
		// of kernel time here (see BENCHMARKS.md, issue 13).
		for i, t := range targets[:len(targets)-1] {
			rules = append(rules, fmt.Sprintf("%snumgen random mod %d 0 %s", match, len(targets)-i, to(t)))
		}
		return append(rules, match+to(targets[len(targets)-1]))
	}

	// ClusterIP.
	if v.internalLocal && len(v.local) == 0 {
		f.element(nftNoEndpointSvcs, "drop", v.clusterIP, v.proto, port) // kube-proxy: dropped, the endpoints are elsewhere
	} else {
		targets := v.targets
		if v.internalLocal {
			targets = v.local
		}
		if !v.affinity {
			// No chain of its own: the endpoints are elements of
			// service-endpoints, indexed 0…N-1, and the service goes to
			// the chain shared by every service with N endpoints,
			// whose one rule draws the index (numgen random mod N)
			// and DNATs to that element. A new service is elements
			// only; rules, which the kernel checks all of on every
			// commit that adds one, stay as many at any size (see
			// BENCHMARKS.md, issue 13).
			for i, t := range targets {
				host, tport, _ := strings.Cut(t, ":")
				f.element(nftServiceEndpoints, host+" . "+tport, v.clusterIP, v.proto, port, strconv.Itoa(i))
			}
			f.balance = append(f.balance, len(targets))
			f.element(nftServiceIPs, "goto "+nftBalancePrefix+strconv.Itoa(len(targets)), v.clusterIP, v.proto, port)
		} else {
			svcChain := NFTChain{Name: nftChainName("service", pn)}
			if opts.ClusterCIDR != "" {
				svcChain.Rules = append(svcChain.Rules, fmt.Sprintf("ip saddr != %s jump %s", opts.ClusterCIDR, nftMarkForMasq))
			}
			svcChain.Rules = append(svcChain.Rules, balance("", targets)...)
			f.chains = append(f.chains, svcChain)
			f.element(nftServiceIPs, "goto "+svcChain.Name, v.clusterIP, v.proto, port)
		}
	}
	if !v.external() {
		return
	}

	// NodePort and load balancer addresses: the external chain.
	ext := NFTChain{Name: nftChainName("external", pn)}
	if !v.externalLocal {
		ext.Rules = append(ext.Rules, "jump "+nftMarkForMasq)
		ext.Rules = append(ext.Rules, balance("", v.targets)...)
	} else {
		// Pods and the node itself reach any endpoint (the node's own
		// traffic masqueraded); other clients only this node's,
		// keeping their address.
		if opts.ClusterCIDR != "" {
			ext.Rules = append(ext.Rules, balance("ip saddr "+opts.ClusterCIDR+" ", v.targets)...)
		}
		ext.Rules = append(ext.Rules, "fib saddr type local jump "+nftMarkForMasq)
		ext.Rules = append(ext.Rules, balance("fib saddr type local ", v.targets)...)
		if len(v.local) > 0 {
			ext.Rules = append(ext.Rules, balance("", v.local)...)
		} else {
			// Falls through undNATed: the filter hooks drop it.
			if v.nodePort != 0 {
				f.element(nftNoEndpointNodePts, "drop", v.proto, nodePort)
			}
			for _, lb := range v.lbIPs {
				f.element(nftNoEndpointSvcs, "drop", lb, v.proto, port)
			}
		}
	}
	f.chains = append(f.chains, ext)
	if v.nodePort != 0 {
		f.element(nftServiceNodePorts, "goto "+ext.Name, v.proto, nodePort)
	}
	entry := ext.Name
	if len(v.sourceRanges) > 0 && len(v.lbIPs) > 0 {
		// Only clients in loadBalancerSourceRanges reach the external
		// chain; the others keep their destination and are dropped in
		// the filter hooks.
		// One rule per range, not an anonymous interval set: the
		// netlink writer (nftlink.go) compiles each rule on its own.
		fw := NFTChain{Name: nftChainName("firewall", pn)}
		for _, r := range v.sourceRanges {
			fw.Rules = append(fw.Rules, fmt.Sprintf("ip saddr %s goto %s", r, ext.Name))
		}
		f.chains = append(f.chains, fw)
		entry = fw.Name
		if !v.externalLocal || len(v.local) > 0 {
			for _, lb := range v.lbIPs {
				f.element(nftNoEndpointSvcs, "drop", lb, v.proto, port)
			}
		}
	}
	for _, lb := range v.lbIPs {
		f.element(nftServiceIPs, "goto "+entry, lb, v.proto, port)
	}
}
