// Package podnet is the pod network of one node: host-gateway routing, as
// flannel's host-gw backend does it.
//
// The controller gives each node a pod subnet (node.spec.podCIDR, package
// reconcile/nodeipam). The agent
//
//  1. creates (or checks) a Podman bridge network, named "reconcile" by
//     default, with exactly that subnet; its gateway (the first address)
//     is the node's end of the bridge. Pods join it; Podman's own DNS on it
//     is off, the agent's DNS server listens on the gateway instead;
//  2. turns on IPv4 forwarding;
//  3. keeps one route per other node: its podCIDR via its InternalIP
//     (`ip route replace <podCIDR> via <node IP> proto 147`), and removes
//     routes of nodes that left. The routes carry protocol number 147, so the
//     agent lists and deletes only routes it made;
//  4. keeps pod-to-pod traffic unmasqueraded: a nat chain RCN-PODNET, jumped
//     to first from POSTROUTING, accepts cluster-CIDR → cluster-CIDR packets
//     before Podman's netavark masquerades everything leaving the node's
//     subnet (packets the proxy marked for masquerade still go on). A pod
//     sees the address of the pod that called it, as in Kubernetes.
//
// Pods on different nodes then reach each other by pod IP, and a Service's
// ClusterIP (DNAT-ed by the proxy on the client's node to a pod that may sit
// on another node) works from every node.
//
// What this needs from the hosts: every node reaches every other node's
// InternalIP directly (one L2 segment or routed without NAT); forwarding
// between the bridge and the node's interface is not dropped by a firewall;
// the pod subnets and the service CIDR (10.244.0.0/16, 10.96.0.0/16) do not
// overlap any network the hosts use.
//
// DesiredRoutes, PlanRoutes and NoMasqueradeRules are pure; IPRoute runs
// the ip command; Masquerade writes with the proxy's iptables runner
// (proxy.IPTables, so --iptables-backend holds for it too); EnsureNetwork
// talks to the Podman service. Package agent/bootstrap runs these steps in
// order when the agent starts.
package podnet
