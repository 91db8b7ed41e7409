package controllers

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The built-in load balancer, as k3s' ServiceLB: a Service of type
// LoadBalancer answers on its ports at every eligible node's address (the
// agents' proxy rules DNAT them), or, with an address pool, at one address
// of the pool per Service. This file decides which addresses each
// LoadBalancer Service gets; the Service step writes them to
// status.loadBalancer.ingress.

// LabelLoadBalancerNode opts a node in to answering for LoadBalancer
// Services (k3s' svccontroller.k3s.cattle.io/enablelb): when any node
// carries it with value "true", only those nodes do; when none does, every
// eligible node does.
const LabelLoadBalancerNode = "node.reconcile.dev/lb"

// LoadBalancerOptions configure the built-in load balancer
// (Options.LoadBalancer, the controller's --lb-address-pool).
type LoadBalancerOptions struct {
	// Pool, when not empty, is where LoadBalancer Services get their
	// address (one per Service, kept while the Service keeps it);
	// empty: they answer on the nodes' addresses.
	Pool AddressPool
}

// AddressPool is a range of IPv4 addresses, first to last inclusive.
type AddressPool struct {
	First, Last netip.Addr
}

// ParseAddressPool reads --lb-address-pool: a CIDR (its network and
// broadcast addresses are left out when it holds more than two) or a
// range "first-last". "" is the empty pool.
func ParseAddressPool(s string) (AddressPool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return AddressPool{}, nil
	}
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, errA := netip.ParseAddr(strings.TrimSpace(first))
		b, errB := netip.ParseAddr(strings.TrimSpace(last))
		if errA != nil || errB != nil || !a.Is4() || !b.Is4() || b.Less(a) {
			return AddressPool{}, fmt.Errorf("address pool %q: want an IPv4 CIDR (192.0.2.0/28) or a range first-last (192.0.2.10-192.0.2.20) with first <= last", s)
		}
		return AddressPool{First: a, Last: b}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return AddressPool{}, fmt.Errorf("address pool %q: want an IPv4 CIDR (192.0.2.0/28) or a range first-last (192.0.2.10-192.0.2.20)", s)
	}
	p = p.Masked()
	first := p.Addr()
	last := addrAt(first, uint32(1)<<(32-p.Bits())-1)
	if p.Bits() < 31 {
		first, last = first.Next(), last.Prev()
	}
	return AddressPool{First: first, Last: last}, nil
}

// Empty reports whether the pool holds no address.
func (p AddressPool) Empty() bool { return !p.First.IsValid() }

// Contains reports whether a is in the pool.
func (p AddressPool) Contains(a netip.Addr) bool {
	return !p.Empty() && a.Is4() && !a.Less(p.First) && !p.Last.Less(a)
}

func (p AddressPool) String() string {
	if p.Empty() {
		return ""
	}
	return p.First.String() + "-" + p.Last.String()
}

func addrAt(a netip.Addr, off uint32) netip.Addr {
	b := a.As4()
	binary.BigEndian.PutUint32(b[:], binary.BigEndian.Uint32(b[:])+off)
	return netip.AddrFrom4(b)
}

// LoadBalancerNodeAddresses are the addresses LoadBalancer Services answer
// on without a pool: of every node that is Ready, not cordoned, not
// labelled node.kubernetes.io/exclude-from-external-load-balancers, and
// (when any node carries LabelLoadBalancerNode "true") opted in, its
// ExternalIP, else its InternalIP; sorted, without duplicates.
func LoadBalancerNodeAddresses(nodes []*corev1.Node) []string {
	optIn := slices.ContainsFunc(nodes, func(n *corev1.Node) bool { return n.Labels[LabelLoadBalancerNode] == "true" })
	var out []string
	for _, n := range nodes {
		if optIn && n.Labels[LabelLoadBalancerNode] != "true" {
			continue
		}
		if _, excluded := n.Labels[corev1.LabelNodeExcludeBalancers]; excluded || n.Spec.Unschedulable || !isNodeReady(n) {
			continue
		}
		if a := nodeAddress(n); a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isNodeReady(n *corev1.Node) bool {
	c := nodeReady(n)
	return c != nil && c.Status == corev1.ConditionTrue
}

// nodeAddress is the address a node answers on for load balancers and
// the ingress proxy: its ExternalIP when it has one, else its InternalIP
// (as k3s' ServiceLB fills the status).
func nodeAddress(n *corev1.Node) string {
	var internal string
	for _, a := range n.Status.Addresses {
		if _, err := netip.ParseAddr(a.Address); err != nil {
			continue
		}
		switch a.Type {
		case corev1.NodeExternalIP:
			return a.Address
		case corev1.NodeInternalIP:
			if internal == "" {
				internal = a.Address
			}
		}
	}
	return internal
}

// LoadBalancerResult is what one LoadBalancer Service gets.
type LoadBalancerResult struct {
	// Ingress are its addresses (status.loadBalancer.ingress); empty
	// while it is pending.
	Ingress []corev1.LoadBalancerIngress
	// Error says why it is pending or lacks addresses, in the words
	// Kubernetes' service controller and k3s' ServiceLB use ("port 80/TCP
	// is already used by service ns/x"); empty when it is served.
	Error string
	// Reason is Error's CamelCase reason (the condition's): PortInUse,
	// AllocationFailed (MetalLB's word for a pool that cannot give the
	// address) or NoEligibleNodes.
	Reason string
}

// Reasons of LoadBalancerResult.
const (
	ReasonPortInUse        = "PortInUse"
	ReasonAllocationFailed = "AllocationFailed"
	ReasonNoEligibleNodes  = "NoEligibleNodes"
)

// AssignLoadBalancers decides the addresses of every LoadBalancer Service
// among services. Services are served in order of creation (then
// namespace and name), as ServiceLB's pods claim host ports first come
// first served: a Service that wants a port and protocol another, older
// Service already answers on at the same address gets no address and an
// Error naming the older one, and gets its addresses once the older one
// is gone or changed.
//
// Without a pool every Service answers on nodeAddrs
// (LoadBalancerNodeAddresses). With a pool each Service gets one address:
// its spec.loadBalancerIP (which must be in the pool; two Services may
// share one requested address when their ports differ), else the pool
// address its status already lists (kept stable across restarts: the
// status is the record), else the lowest address no other Service holds
// or keeps. A loadBalancerIP without a pool is an Error: there is nothing
// to take it from.
func AssignLoadBalancers(services []*corev1.Service, nodeAddrs []string, pool AddressPool) map[objects.Key]LoadBalancerResult {
	var lbs []*corev1.Service
	for _, s := range services {
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
			lbs = append(lbs, s)
		}
	}
	slices.SortFunc(lbs, func(a, b *corev1.Service) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	out := make(map[objects.Key]LoadBalancerResult, len(lbs))
	// held: "addr proto/port" → the Service answering there; "" stands
	// for every node address.
	held := map[string]*corev1.Service{}
	conflict := func(s *corev1.Service, addr string) string {
		for _, p := range s.Spec.Ports {
			if o := held[addr+" "+portKey(p)]; o != nil && o != s {
				return fmt.Sprintf("port %d/%s is already used by service %s/%s", p.Port, protocolOf(p), o.Namespace, o.Name)
			}
		}
		return ""
	}
	claim := func(s *corev1.Service, addr string) {
		for _, p := range s.Spec.Ports {
			held[addr+" "+portKey(p)] = s
		}
	}
	if pool.Empty() {
		for _, s := range lbs {
			k := objects.KeyOf(s)
			switch {
			case s.Spec.LoadBalancerIP != "":
				out[k] = LoadBalancerResult{Reason: ReasonAllocationFailed, Error: fmt.Sprintf("spec.loadBalancerIP %s cannot be honoured: the controller has no --lb-address-pool, so LoadBalancer Services answer on the nodes' addresses; remove loadBalancerIP or configure a pool that contains it", s.Spec.LoadBalancerIP)}
			case len(nodeAddrs) == 0:
				out[k] = LoadBalancerResult{Reason: ReasonNoEligibleNodes, Error: "no eligible node to answer on: every node is NotReady, cordoned or excluded (node.kubernetes.io/exclude-from-external-load-balancers, or not labelled " + LabelLoadBalancerNode + "=true while other nodes are)"}
			default:
				if msg := conflict(s, ""); msg != "" {
					out[k] = LoadBalancerResult{Reason: ReasonPortInUse, Error: msg}
					continue
				}
				claim(s, "")
				out[k] = LoadBalancerResult{Ingress: ingressOf(nodeAddrs...)}
			}
		}
		return out
	}
	// Addresses Services keep from their status are reserved first, so a
	// Service without one never takes another's.
	owner := map[netip.Addr]*corev1.Service{}
	keeps := map[*corev1.Service]netip.Addr{}
	for _, s := range lbs {
		if a, ok := statusPoolAddr(s, pool); ok && owner[a] == nil {
			owner[a], keeps[s] = s, a
		}
	}
	next := pool.First
	for _, s := range lbs {
		k := objects.KeyOf(s)
		var addr netip.Addr
		switch {
		case s.Spec.LoadBalancerIP != "":
			a, err := netip.ParseAddr(s.Spec.LoadBalancerIP)
			if err != nil || !pool.Contains(a) {
				out[k] = LoadBalancerResult{Reason: ReasonAllocationFailed, Error: fmt.Sprintf("spec.loadBalancerIP %s is not in the address pool %s: pick an address in it, or remove loadBalancerIP to get one", s.Spec.LoadBalancerIP, pool)}
				continue
			}
			addr = a
		case keeps[s].IsValid():
			addr = keeps[s]
		default:
			for ; next.IsValid() && pool.Contains(next) && owner[next] != nil; next = next.Next() {
			}
			if !pool.Contains(next) {
				out[k] = LoadBalancerResult{Reason: ReasonAllocationFailed, Error: fmt.Sprintf("no address left in the address pool %s: remove unused LoadBalancer Services or configure a larger pool", pool)}
				continue
			}
			addr = next
		}
		if o := owner[addr]; o != nil && o != s && s.Spec.LoadBalancerIP == "" {
			out[k] = LoadBalancerResult{Reason: ReasonAllocationFailed, Error: fmt.Sprintf("address %s is already used by service %s/%s", addr, o.Namespace, o.Name)}
			continue
		}
		if msg := conflict(s, addr.String()); msg != "" {
			out[k] = LoadBalancerResult{Reason: ReasonPortInUse, Error: msg}
			continue
		}
		owner[addr] = s
		claim(s, addr.String())
		out[k] = LoadBalancerResult{Ingress: ingressOf(addr.String())}
	}
	return out
}

// statusPoolAddr is the pool address s's status lists, if s still wants
// it (no loadBalancerIP, or that one).
func statusPoolAddr(s *corev1.Service, pool AddressPool) (netip.Addr, bool) {
	for _, in := range s.Status.LoadBalancer.Ingress {
		a, err := netip.ParseAddr(in.IP)
		if err != nil || !pool.Contains(a) || (s.Spec.LoadBalancerIP != "" && s.Spec.LoadBalancerIP != in.IP) {
			continue
		}
		return a, true
	}
	return netip.Addr{}, false
}

func ingressOf(addrs ...string) []corev1.LoadBalancerIngress {
	out := make([]corev1.LoadBalancerIngress, len(addrs))
	vip := corev1.LoadBalancerIPModeVIP
	for i, a := range addrs {
		out[i] = corev1.LoadBalancerIngress{IP: a, IPMode: &vip}
	}
	return out
}

func protocolOf(p corev1.ServicePort) corev1.Protocol {
	if p.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return p.Protocol
}

func portKey(p corev1.ServicePort) string { return fmt.Sprintf("%s/%d", protocolOf(p), p.Port) }
