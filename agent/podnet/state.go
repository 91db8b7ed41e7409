package podnet

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Peer is another node as the pod network sees it.
type Peer struct {
	Name    string
	IP      string // InternalIP
	PodCIDR string
	MAC     string // its VXLAN device's MAC (AnnotationVXLANMAC), "" when it has none
}

// Peers are the nodes other than self with an IPv4 InternalIP and an
// IPv4 podCIDR (the others have not registered fully yet), sorted by
// podCIDR. It is pure.
func Peers(nodes []*corev1.Node, self string) []Peer {
	var out []Peer
	for _, n := range nodes {
		if n.Name == self || n.Spec.PodCIDR == "" {
			continue
		}
		ip, err := netip.ParseAddr(InternalIP(n))
		if err != nil || !ip.Is4() {
			continue
		}
		if _, err := VTEPAddr(n.Spec.PodCIDR); err != nil {
			continue
		}
		mac := n.Annotations[AnnotationVXLANMAC]
		if hw, err := net.ParseMAC(mac); err != nil || len(hw) != 6 {
			mac = ""
		} else {
			mac = hw.String()
		}
		out = append(out, Peer{Name: n.Name, IP: ip.String(), PodCIDR: n.Spec.PodCIDR, MAC: mac})
	}
	slices.SortFunc(out, func(a, b Peer) int { return cmp.Compare(a.PodCIDR, b.PodCIDR) })
	return out
}

// Route sends a pod subnet to the node holding it: via its InternalIP
// (host-gw), or, when Overlay, via its VTEP address on the VXLAN device
// (`dev reconcile.1 onlink`).
type Route struct {
	Dst     string // pod subnet, e.g. 10.244.1.0/24
	Via     string // that node's InternalIP, or its VTEP address
	Overlay bool
}

func (r Route) String() string {
	if r.Overlay {
		return r.Dst + " via " + r.Via + " dev " + VXLANDevice + " onlink"
	}
	return r.Dst + " via " + r.Via
}

// Neighbour is a permanent neighbour (ARP) entry on the VXLAN device: a
// peer's VTEP address and its device's MAC.
type Neighbour struct{ IP, MAC string }

func (n Neighbour) String() string { return n.IP + " lladdr " + n.MAC + " permanent" }

// FDBEntry is a permanent forwarding entry of the VXLAN device: frames to
// a peer's VTEP MAC go in UDP to its InternalIP.
type FDBEntry struct{ MAC, Dst string }

func (f FDBEntry) String() string { return f.MAC + " dst " + f.Dst + " self permanent" }

// State is what the node keeps in the kernel for its peers. Observed, it
// holds only what the agent made: routes of protocol RouteProto, the
// permanent neighbours and the FDB entries of the VXLAN device.
type State struct {
	Routes     []Route
	Neighbours []Neighbour
	FDB        []FDBEntry
}

// DesiredState is what node needs for its peers under backend: with
// HostGW a route via each peer's InternalIP; with VXLAN, for each peer
// that published its VTEP MAC, a route via its VTEP address on the VXLAN
// device, a neighbour entry and an FDB entry; with Auto, host-gw for the
// peers onLink[peer IP] says are on-link, VXLAN for the others. A peer
// without a MAC gets no overlay entries (its agent has not published one
// yet). It is pure.
func DesiredState(peers []Peer, backend Backend, onLink map[string]bool) State {
	var s State
	for _, p := range peers {
		direct := backend == HostGW || backend == Auto && onLink[p.IP]
		if direct {
			s.Routes = append(s.Routes, Route{Dst: p.PodCIDR, Via: p.IP})
			continue
		}
		if p.MAC == "" {
			continue
		}
		vtep, err := VTEPAddr(p.PodCIDR)
		if err != nil {
			continue
		}
		s.Routes = append(s.Routes, Route{Dst: p.PodCIDR, Via: vtep.String(), Overlay: true})
		s.Neighbours = append(s.Neighbours, Neighbour{IP: vtep.String(), MAC: p.MAC})
		s.FDB = append(s.FDB, FDBEntry{MAC: p.MAC, Dst: p.IP})
	}
	return s
}

// DesiredRoutes are the host-gw routes node self needs: every other
// node's podCIDR through its InternalIP, sorted. It is pure.
func DesiredRoutes(nodes []*corev1.Node, self string) []Route {
	return DesiredState(Peers(nodes, self), HostGW, nil).Routes
}

// Changes are what to replace (add or change) and what to delete.
type Changes[T any] struct{ Replace, Delete []T }

// Plan is what turns an observed State into the desired one.
type Plan struct {
	Routes     Changes[Route]
	Neighbours Changes[Neighbour]
	FDB        Changes[FDBEntry]
}

// Empty tells whether there is nothing to do.
func (p Plan) Empty() bool {
	return len(p.Routes.Replace)+len(p.Routes.Delete)+len(p.Neighbours.Replace)+len(p.Neighbours.Delete)+
		len(p.FDB.Replace)+len(p.FDB.Delete) == 0
}

// String lists the actions one a line, in the order Apply runs them.
func (p Plan) String() string {
	var b strings.Builder
	line := func(verb, what string, items []string) {
		for _, i := range items {
			fmt.Fprintf(&b, "%s %s %s\n", verb, what, i)
		}
	}
	line("delete", "route", strs(p.Routes.Delete))
	line("delete", "fdb", strs(p.FDB.Delete))
	line("delete", "neigh", strs(p.Neighbours.Delete))
	line("replace", "neigh", strs(p.Neighbours.Replace))
	line("replace", "fdb", strs(p.FDB.Replace))
	line("replace", "route", strs(p.Routes.Replace))
	return b.String()
}

func strs[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// PlanState compares the desired state with the observed one. It is pure.
func PlanState(want, have State) Plan {
	var p Plan
	p.Routes.Replace, p.Routes.Delete = PlanRoutes(want.Routes, have.Routes)
	p.Neighbours = planSet(want.Neighbours, have.Neighbours, func(n Neighbour) string { return n.IP })
	p.FDB = planSet(want.FDB, have.FDB, func(f FDBEntry) string { return f.MAC })
	return p
}

// PlanRoutes compares the routes wanted with those present (ours only) and
// returns what to replace and what to delete. It is pure.
func PlanRoutes(want, have []Route) (replace, remove []Route) {
	c := planSet(want, have, func(r Route) string { return r.Dst })
	return c.Replace, c.Delete
}

// planSet: an entry wanted and not present as is gets replaced; a present
// entry whose key is not wanted gets deleted.
func planSet[T comparable](want, have []T, key func(T) string) Changes[T] {
	var c Changes[T]
	present := map[T]bool{}
	for _, x := range have {
		present[x] = true
	}
	wanted := map[string]bool{}
	for _, x := range want {
		wanted[key(x)] = true
		if !present[x] {
			c.Replace = append(c.Replace, x)
		}
	}
	for _, x := range have {
		if !wanted[key(x)] {
			c.Delete = append(c.Delete, x)
		}
	}
	return c
}

// overlayMTU is the MTU of the VXLAN device and of the pods when the
// node's link to the others has linkMTU.
func overlayMTU(linkMTU int) int { return linkMTU - VXLANOverhead }
