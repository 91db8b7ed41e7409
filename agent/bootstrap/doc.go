// Package bootstrap readies a node's pod network before its agent runs
// pods, and returns what the agent and the service proxy need from it.
//
// Start, with a Podman network configured:
//
//  1. registers the node (retrying with a wait.Backoff: the controller may
//     still be starting), because the controller assigns the node's
//     podCIDR at registration (package reconcile/nodeipam);
//  2. waits for the podCIDR (podnet.PodCIDR follows the node list);
//  3. resolves the pod network backend (Options.Backend, else the
//     cluster's from GET /api/v1/cluster);
//  4. turns on IPv4 forwarding, makes the Podman bridge network with that
//     subnet (and the overlay's MTU under vxlan and auto), then the VXLAN
//     device, and writes the pod network's no-masquerade chain (podnet)
//     with the node's iptables runner, the proxy's;
//  5. starts the DNS server on the bridge gateway, service discovery and
//     the routes (and overlay entries) to the other nodes' pod subnets;
//     they run until ctx ends. The Result's HostInfo carries the node
//     annotations (node.reconcile.dev/pod-network-backend, .../vxlan-mac)
//     the agent registers with.
//
// When the Podman network cannot be made, pods still run, on Podman's
// default network without cluster DNS or routes to other nodes: a node
// that runs its pods without cluster DNS beats a node that runs none. The
// Result then names no network and no podCIDR.
//
// Everything Start touches is behind small interfaces (Registrar,
// podnet.NodeSource, proxy.Source, Host), so its flow is unit-tested with
// fakes; PodmanHost is the real machine. Cleanup is the pod network's part
// of `reconcile agent --cleanup`. cmd/reconcile only wires flags to
// Options.
package bootstrap
