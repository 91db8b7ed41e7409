package podnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Dataplane is where the peers' state goes: the kernel (Netlink) or a fake.
type Dataplane interface {
	RouteTable
	ListNeighbours(ctx context.Context) ([]Neighbour, error)
	ReplaceNeighbour(ctx context.Context, n Neighbour) error
	DeleteNeighbour(ctx context.Context, n Neighbour) error
	ListFDB(ctx context.Context) ([]FDBEntry, error)
	ReplaceFDB(ctx context.Context, f FDBEntry) error
	DeleteFDB(ctx context.Context, f FDBEntry) error
	// OnLink tells whether ip is reached without a gateway from here
	// (the kernel's route to it has none): Auto's test for host-gw.
	OnLink(ctx context.Context, ip string) (bool, error)
}

// RouteProto marks the routes the agent owns (`ip route show proto 147`).
const RouteProto = 147

// Netlink is the kernel's main table, neighbours and the VXLAN device's
// FDB through netlink, in one network namespace. It lists and deletes
// only routes of protocol RouteProto and the entries of the VXLAN device
// (which is the agent's). The zero value works in the agent's own
// namespace.
type Netlink struct {
	h *netlink.Handle // nil: the package's default handle, this namespace
}

// NetlinkAt works in the named network namespace (/run/netns/NAME):
// tests use it on throwaway namespaces. Close it after use.
func NetlinkAt(name string) (*Netlink, error) {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("pod network: opening network namespace %s: %w", name, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("pod network: netlink in namespace %s: %w", name, err)
	}
	return &Netlink{h: h}, nil
}

// Close releases a namespace's handle.
func (k *Netlink) Close() {
	if k != nil && k.h != nil {
		k.h.Close()
	}
}

func (k *Netlink) handle() *netlink.Handle {
	if k == nil || k.h == nil {
		return &netlink.Handle{}
	}
	return k.h
}

// dumpRetries bounds the retries of a dump the kernel interrupted (the
// table changed while it was read): netlink then returns a partial list.
const dumpRetries = 5

func dump[T any](what string, list func() ([]T, error)) ([]T, error) {
	for i := 0; ; i++ {
		xs, err := list()
		if errors.Is(err, netlink.ErrDumpInterrupted) && i < dumpRetries {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pod network: listing %s: %w", what, err)
		}
		return xs, nil
	}
}

// vxlanIndex is the VXLAN device's index, 0 when there is none.
func (k *Netlink) vxlanIndex() (int, error) {
	l, err := k.handle().LinkByName(VXLANDevice)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pod network: looking up %s: %w", VXLANDevice, err)
	}
	return l.Attrs().Index, nil
}

// List returns the routes the agent made (protocol RouteProto, main table).
func (k *Netlink) List(context.Context) ([]Route, error) {
	idx, err := k.vxlanIndex()
	if err != nil {
		return nil, err
	}
	rs, err := dump("routes", func() ([]netlink.Route, error) {
		return k.handle().RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: RouteProto, Table: syscall.RT_TABLE_MAIN},
			netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, err
	}
	var out []Route
	for _, r := range rs {
		if r.Dst == nil || r.Gw == nil {
			continue
		}
		out = append(out, Route{Dst: r.Dst.String(), Via: r.Gw.String(), Overlay: idx != 0 && r.LinkIndex == idx})
	}
	return out, nil
}

func (k *Netlink) route(r Route) (*netlink.Route, error) {
	_, dst, err := net.ParseCIDR(r.Dst)
	gw := net.ParseIP(r.Via)
	if err != nil || gw == nil {
		return nil, fmt.Errorf("pod network: route %s: bad destination or gateway", r)
	}
	nr := &netlink.Route{Dst: dst, Gw: gw, Protocol: RouteProto, Table: syscall.RT_TABLE_MAIN}
	if r.Overlay {
		idx, err := k.vxlanIndex()
		if err != nil {
			return nil, err
		}
		if idx == 0 {
			return nil, fmt.Errorf("pod network: route %s: device %s does not exist", r, VXLANDevice)
		}
		nr.LinkIndex, nr.Flags = idx, int(netlink.FLAG_ONLINK)
	}
	return nr, nil
}

// Replace adds or changes a route.
func (k *Netlink) Replace(_ context.Context, r Route) error {
	nr, err := k.route(r)
	if err == nil {
		err = k.handle().RouteReplace(nr)
	}
	if err != nil {
		return fmt.Errorf("route replace %s: %w", r, err)
	}
	return nil
}

// Delete removes a route the agent made; one already gone is not an error.
func (k *Netlink) Delete(_ context.Context, r Route) error {
	nr, err := k.route(r)
	if err == nil {
		err = k.handle().RouteDel(nr)
	}
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("route del %s: %w", r, err)
	}
	return nil
}

// OnLink tells whether the kernel reaches ip without a gateway.
func (k *Netlink) OnLink(_ context.Context, ip string) (bool, error) {
	addr := net.ParseIP(ip)
	if addr == nil {
		return false, fmt.Errorf("pod network: %q is not an IP address", ip)
	}
	rs, err := k.handle().RouteGet(addr)
	if err != nil {
		return false, fmt.Errorf("pod network: route to %s: %w", ip, err)
	}
	return len(rs) > 0 && rs[0].Gw == nil, nil
}

// neighbours lists the VXLAN device's permanent entries of family.
func (k *Netlink) neighbours(family int) ([]netlink.Neigh, int, error) {
	idx, err := k.vxlanIndex()
	if err != nil || idx == 0 {
		return nil, 0, err
	}
	ns, err := dump("neighbours", func() ([]netlink.Neigh, error) { return k.handle().NeighList(idx, family) })
	if err != nil {
		return nil, 0, err
	}
	var out []netlink.Neigh
	for _, n := range ns {
		if n.State&netlink.NUD_PERMANENT != 0 && n.IP != nil && len(n.HardwareAddr) == 6 && !isZeroMAC(n.HardwareAddr) {
			out = append(out, n)
		}
	}
	return out, idx, nil
}

func isZeroMAC(m net.HardwareAddr) bool {
	for _, b := range m {
		if b != 0 {
			return false
		}
	}
	return true
}

// ListNeighbours returns the VXLAN device's permanent neighbour entries.
func (k *Netlink) ListNeighbours(context.Context) ([]Neighbour, error) {
	ns, _, err := k.neighbours(netlink.FAMILY_V4)
	var out []Neighbour
	for _, n := range ns {
		out = append(out, Neighbour{IP: n.IP.String(), MAC: n.HardwareAddr.String()})
	}
	return out, err
}

// ListFDB returns the VXLAN device's permanent FDB entries with a remote.
func (k *Netlink) ListFDB(context.Context) ([]FDBEntry, error) {
	ns, _, err := k.neighbours(syscall.AF_BRIDGE)
	var out []FDBEntry
	for _, n := range ns {
		out = append(out, FDBEntry{MAC: n.HardwareAddr.String(), Dst: n.IP.String()})
	}
	return out, err
}

func (k *Netlink) neigh(what string, family int, ip, mac string) (*netlink.Neigh, error) {
	idx, err := k.vxlanIndex()
	if err != nil {
		return nil, err
	}
	if idx == 0 {
		return nil, fmt.Errorf("pod network: %s: device %s does not exist", what, VXLANDevice)
	}
	hw, err := net.ParseMAC(mac)
	addr := net.ParseIP(ip)
	if err != nil || addr == nil {
		return nil, fmt.Errorf("pod network: %s: bad address or MAC", what)
	}
	n := &netlink.Neigh{LinkIndex: idx, Family: family, State: netlink.NUD_PERMANENT, IP: addr, HardwareAddr: hw}
	if family == syscall.AF_BRIDGE {
		n.Flags = netlink.NTF_SELF
	} else {
		n.Type = syscall.RTN_UNICAST
	}
	return n, nil
}

func (k *Netlink) setNeigh(verb, what string, family int, ip, mac string, del bool) error {
	n, err := k.neigh(what, family, ip, mac)
	if err == nil {
		if del {
			err = k.handle().NeighDel(n)
			if errors.Is(err, syscall.ENOENT) {
				err = nil
			}
		} else {
			err = k.handle().NeighSet(n)
		}
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, what, err)
	}
	return nil
}

// ReplaceNeighbour adds or changes a neighbour entry.
func (k *Netlink) ReplaceNeighbour(_ context.Context, n Neighbour) error {
	return k.setNeigh("neigh replace", n.String(), netlink.FAMILY_V4, n.IP, n.MAC, false)
}

// DeleteNeighbour removes a neighbour entry.
func (k *Netlink) DeleteNeighbour(_ context.Context, n Neighbour) error {
	return k.setNeigh("neigh del", n.String(), netlink.FAMILY_V4, n.IP, n.MAC, true)
}

// ReplaceFDB adds or changes an FDB entry.
func (k *Netlink) ReplaceFDB(_ context.Context, f FDBEntry) error {
	return k.setNeigh("fdb replace", f.String(), syscall.AF_BRIDGE, f.Dst, f.MAC, false)
}

// DeleteFDB removes an FDB entry.
func (k *Netlink) DeleteFDB(_ context.Context, f FDBEntry) error {
	return k.setNeigh("fdb del", f.String(), syscall.AF_BRIDGE, f.Dst, f.MAC, true)
}
