// Package podnet is the pod network of one node, as flannel builds it:
// host-gateway routes, a VXLAN overlay, or both (flannel's vxlan backend
// with DirectRouting).
//
// The controller gives each node a pod subnet (node.spec.podCIDR, package
// reconcile/nodeipam) and the cluster a backend (controller
// --pod-network-backend, GET /api/v1/cluster). The agent
//
//  1. creates (or checks) a Podman bridge network, named "reconcile" by
//     default, with exactly that subnet; its gateway (the first usable
//     address) is the node's end of the bridge. Pods join it; Podman's own
//     DNS on it is off, the agent's DNS server listens on the gateway
//     instead. Under vxlan and auto its MTU is the overlay's (the node
//     link's minus VXLANOverhead, 50), so pods never send a packet larger
//     than the overlay carries;
//  2. turns on IPv4 forwarding;
//  3. under vxlan and auto, makes the VXLAN device reconcile.1 (VNI 1, UDP
//     8472, local = the node's InternalIP, learning off) with the podCIDR's
//     first address as a /32 and a MAC derived from the node IP, published
//     as the annotation node.reconcile.dev/vxlan-mac on the node's Node;
//  4. keeps, per other node (Peer), either a host-gw route (its podCIDR via
//     its InternalIP) or the overlay's three entries: a route (its podCIDR
//     via its VTEP address dev reconcile.1 onlink), a permanent neighbour
//     (VTEP address → its MAC) and an FDB entry (its MAC → its InternalIP).
//     host-gw uses routes only, vxlan the overlay only, auto a route to a
//     peer on-link from this node (the kernel's route to its IP has no
//     gateway) and the overlay to the others. Routes carry protocol number
//     147 (RouteProto), so the agent lists and deletes only routes it made;
//     the device's neighbour and FDB entries are all its own;
//  5. keeps pod-to-pod traffic unmasqueraded: a nat chain RCN-PODNET, jumped
//     to first from POSTROUTING, accepts cluster-CIDR → cluster-CIDR packets
//     before Podman's netavark masquerades everything leaving the node's
//     subnet (packets the proxy marked for masquerade still go on). A pod
//     sees the address of the pod that called it, as in Kubernetes.
//
// Pods on different nodes then reach each other by pod IP, and a Service's
// ClusterIP (DNAT-ed by the proxy on the client's node to a pod that may sit
// on another node) works from every node.
//
// What this needs from the hosts: under host-gw every node reaches every
// other node's InternalIP directly (one L2 segment); under vxlan and auto
// routed IP between the nodes' InternalIPs with UDP 8472 open suffices.
// Forwarding between the bridge and the node's interfaces is not dropped by
// a firewall; the pod subnets and the service CIDR (10.244.0.0/16,
// 10.96.0.0/16) do not overlap any network the hosts use.
//
// Peers, DesiredState, PlanState (and DesiredRoutes, PlanRoutes) and
// NoMasqueradeRules are pure; Netlink is the kernel through
// github.com/vishvananda/netlink (tested in throwaway network namespaces);
// Masquerade writes with the proxy's iptables runner (proxy.IPTables, so
// --iptables-backend holds for it too); EnsureNetwork talks to the Podman
// service. Package agent/bootstrap runs these steps in order when the agent
// starts.
package podnet
