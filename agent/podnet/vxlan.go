package podnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// VTEP is the node's end of the overlay, as EnsureVXLAN made it.
type VTEP struct {
	MAC string // published as AnnotationVXLANMAC
	MTU int    // the device's; pods get the same (EnsureNetwork's mtu)
}

// vxlanSpec is the device EnsureVXLAN wants for a node: flannel's
// flannel.1 with our name.
func vxlanSpec(nodeIP net.IP, underlay netlink.Link) *netlink.Vxlan {
	return &netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: VXLANDevice, MTU: overlayMTU(underlay.Attrs().MTU),
			HardwareAddr: VTEPMAC(nodeIP.String())},
		VxlanId: VXLANID, VtepDevIndex: underlay.Attrs().Index, SrcAddr: nodeIP, Port: VXLANPort, Learning: false,
	}
}

// vxlanMismatch says why an existing device is not the one wanted ("" when
// it is, MTU aside, which is set in place). It is pure.
func vxlanMismatch(have netlink.Link, want *netlink.Vxlan) string {
	v, ok := have.(*netlink.Vxlan)
	switch {
	case !ok:
		return fmt.Sprintf("it is a %s device, not vxlan", have.Type())
	case v.VxlanId != want.VxlanId:
		return fmt.Sprintf("VNI %d, want %d", v.VxlanId, want.VxlanId)
	case !v.SrcAddr.Equal(want.SrcAddr):
		return fmt.Sprintf("local %s, want %s", v.SrcAddr, want.SrcAddr)
	case v.Port != want.Port:
		return fmt.Sprintf("port %d, want %d", v.Port, want.Port)
	case v.Learning:
		return "learning is on"
	case v.VtepDevIndex != want.VtepDevIndex:
		return fmt.Sprintf("underlying device %d, want %d", v.VtepDevIndex, want.VtepDevIndex)
	case v.Attrs().HardwareAddr.String() != want.HardwareAddr.String():
		return fmt.Sprintf("MAC %s, want %s", v.Attrs().HardwareAddr, want.HardwareAddr)
	}
	return ""
}

// underlay is the link holding ip and its addresses' owner.
func (k *Netlink) underlay(ip net.IP) (netlink.Link, error) {
	addrs, err := dump("addresses", func() ([]netlink.Addr, error) { return k.handle().AddrList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if a.IP.Equal(ip) {
			l, err := k.handle().LinkByIndex(a.LinkIndex)
			if err != nil {
				return nil, fmt.Errorf("pod network: the link of %s: %w", ip, err)
			}
			return l, nil
		}
	}
	return nil, fmt.Errorf("pod network: the node IP %s is on no interface of this host; pass --node-ip with one of its addresses", ip)
}

// OverlayMTU is the MTU the VXLAN device gets (and the pods, which must
// know it before the device has its address: netavark refuses a subnet
// that an address of the host overlaps): the MTU of the link holding
// nodeIP minus VXLANOverhead.
func (k *Netlink) OverlayMTU(_ context.Context, nodeIP string) (int, error) {
	ip := net.ParseIP(nodeIP).To4()
	if ip == nil {
		return 0, fmt.Errorf("pod network: node IP %q is not an IPv4 address (VXLAN needs one)", nodeIP)
	}
	under, err := k.underlay(ip)
	if err != nil {
		return 0, err
	}
	return overlayMTU(under.Attrs().MTU), nil
}

// EnsureVXLAN makes the node's VXLAN device (VXLANDevice, VNI VXLANID,
// UDP VXLANPort, local nodeIP on the link that holds it, learning off,
// MTU that link's minus VXLANOverhead, MAC VTEPMAC(nodeIP)) with the
// VTEP address VTEPAddr(podCIDR)/32, up. A device of that name made
// otherwise is replaced; one made right is kept, so its entries stay.
func (k *Netlink) EnsureVXLAN(_ context.Context, nodeIP, podCIDR string) (VTEP, error) {
	ip := net.ParseIP(nodeIP).To4()
	if ip == nil {
		return VTEP{}, fmt.Errorf("pod network: node IP %q is not an IPv4 address (VXLAN needs one)", nodeIP)
	}
	vtep, err := VTEPAddr(podCIDR)
	if err != nil {
		return VTEP{}, err
	}
	under, err := k.underlay(ip)
	if err != nil {
		return VTEP{}, err
	}
	want := vxlanSpec(ip, under)
	h := k.handle()
	link, err := h.LinkByName(VXLANDevice)
	var nf netlink.LinkNotFoundError
	switch {
	case errors.As(err, &nf):
		link = nil
	case err != nil:
		return VTEP{}, fmt.Errorf("pod network: looking up %s: %w", VXLANDevice, err)
	case vxlanMismatch(link, want) != "":
		if err := h.LinkDel(link); err != nil {
			return VTEP{}, fmt.Errorf("pod network: replacing %s (%s): %w", VXLANDevice, vxlanMismatch(link, want), err)
		}
		link = nil
	}
	if link == nil {
		if err := h.LinkAdd(want); err != nil {
			return VTEP{}, fmt.Errorf("pod network: creating %s (vxlan id %d dstport %d local %s): %w; does the kernel have the vxlan module?",
				VXLANDevice, VXLANID, VXLANPort, ip, err)
		}
		if link, err = h.LinkByName(VXLANDevice); err != nil {
			return VTEP{}, fmt.Errorf("pod network: %s after creating it: %w", VXLANDevice, err)
		}
	}
	if link.Attrs().MTU != want.MTU {
		if err := h.LinkSetMTU(link, want.MTU); err != nil {
			return VTEP{}, fmt.Errorf("pod network: setting %s's MTU to %d: %w", VXLANDevice, want.MTU, err)
		}
	}
	if err := k.ensureOnlyAddr(link, vtep); err != nil {
		return VTEP{}, err
	}
	if err := h.LinkSetUp(link); err != nil {
		return VTEP{}, fmt.Errorf("pod network: setting %s up: %w", VXLANDevice, err)
	}
	return VTEP{MAC: want.HardwareAddr.String(), MTU: want.MTU}, nil
}

// ensureOnlyAddr gives link exactly the address a/32 (a podCIDR changed
// after a store reset leaves an old one).
func (k *Netlink) ensureOnlyAddr(link netlink.Link, a netip.Addr) error {
	h := k.handle()
	want := &netlink.Addr{IPNet: &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(32, 32)}}
	if err := h.AddrReplace(link, want); err != nil {
		return fmt.Errorf("pod network: address %s on %s: %w", want.IPNet, VXLANDevice, err)
	}
	addrs, err := dump("addresses", func() ([]netlink.Addr, error) { return h.AddrList(link, netlink.FAMILY_V4) })
	if err != nil {
		return err
	}
	for _, old := range addrs {
		if !old.IP.Equal(want.IP) {
			if err := h.AddrDel(link, &old); err != nil {
				return fmt.Errorf("pod network: removing old address %s from %s: %w", old.IPNet, VXLANDevice, err)
			}
		}
	}
	return nil
}

// RemoveVXLAN deletes the VXLAN device, and with it its routes,
// neighbours and FDB entries; none is not an error.
func (k *Netlink) RemoveVXLAN(context.Context) error {
	link, err := k.handle().LinkByName(VXLANDevice)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err == nil {
		err = k.handle().LinkDel(link)
	}
	if err != nil {
		return fmt.Errorf("pod network: removing %s: %w", VXLANDevice, err)
	}
	return nil
}
