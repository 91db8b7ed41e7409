package podnet

import (
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
)

// Backend is how a node reaches the other nodes' pod subnets, chosen per
// cluster (`reconcile controller --pod-network-backend`, served in GET
// /api/v1/cluster).
type Backend string

const (
	// HostGW routes a peer's podCIDR via its InternalIP: every node must be
	// on-link with every other (flannel's host-gw).
	HostGW Backend = "host-gw"
	// VXLAN carries pod traffic to every peer in a VXLAN overlay (flannel's
	// vxlan): nodes only need to reach each other's InternalIP by UDP 8472.
	VXLAN Backend = "vxlan"
	// Auto is flannel's vxlan with DirectRouting: a host-gw route to a peer
	// that is on-link from this node (the kernel's route to its InternalIP
	// has no gateway), the overlay to every other.
	Auto Backend = "auto"
)

// DefaultBackend is the controller's default: host-gw, what every
// cluster ran before the overlay existed (and what an older controller,
// which serves no backend, means). A single-host `up` so makes no VXLAN
// device and keeps the full MTU; a cluster across routed subnets passes
// --pod-network-backend auto (or vxlan).
const DefaultBackend = HostGW

// Backends lists the valid values, for flag help and errors.
var Backends = []Backend{HostGW, VXLAN, Auto}

// ParseBackend checks a --pod-network-backend value ("" is DefaultBackend).
func ParseBackend(s string) (Backend, error) {
	if s == "" {
		return DefaultBackend, nil
	}
	for _, b := range Backends {
		if string(b) == s {
			return b, nil
		}
	}
	return "", fmt.Errorf("pod network backend %q: want one of host-gw, vxlan, auto", s)
}

// UsesOverlay tells whether the node needs its VXLAN device.
func (b Backend) UsesOverlay() bool { return b == VXLAN || b == Auto }

// The VXLAN overlay, as flannel's vxlan backend lays it out.
const (
	VXLANDevice = "reconcile.1" // one device per node (flannel: flannel.1)
	VXLANID     = 1             // VNI
	VXLANPort   = 8472          // UDP destination port (Linux's historic default, flannel's)
	// VXLANOverhead is what encapsulation adds to each packet: outer IPv4
	// (20), UDP (8), VXLAN (8) and inner Ethernet (14) headers.
	VXLANOverhead = 50
)

// Node annotations the agent sets on its own Node (register path).
const (
	// AnnotationVXLANMAC is the MAC address of the node's VXLAN device:
	// peers point their neighbour entry for its VTEP address at it.
	AnnotationVXLANMAC = "node.reconcile.dev/vxlan-mac"
	// AnnotationBackend is the backend the node's agent runs.
	AnnotationBackend = "node.reconcile.dev/pod-network-backend"
)

// VTEPAddr is a node's address on its VXLAN device: the first address
// (the network address) of its podCIDR, as flannel gives flannel.1
// 10.244.1.0/32. The Podman bridge takes the next one as its gateway.
func VTEPAddr(podCIDR string) (netip.Addr, error) {
	p, err := netip.ParsePrefix(podCIDR)
	if err != nil || !p.Addr().Is4() {
		return netip.Addr{}, fmt.Errorf("pod network: podCIDR %q is not an IPv4 prefix", podCIDR)
	}
	return p.Masked().Addr(), nil
}

// VTEPMAC is the MAC address the node's VXLAN device gets: derived from
// its InternalIP (locally administered, unicast), so a recreated device
// (after a reboot, or an agent upgrade) keeps the address its peers'
// neighbour entries already point at.
func VTEPMAC(nodeIP string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("reconcile vxlan " + nodeIP))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&0xfe | 0x02 // unicast, locally administered
	return mac
}
