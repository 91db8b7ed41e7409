// Package discovery lets pods find Services, as in Kubernetes: by
// environment variables and by DNS.
//
// Environment variables (ServiceEnv) are Kubernetes': for every Service of
// the pod's namespace that has a cluster IP when the container starts,
// NAME_SERVICE_HOST, NAME_SERVICE_PORT, NAME_SERVICE_PORT_<PORTNAME> and the
// Docker-link style NAME_PORT, NAME_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}.
// Services created later are not added to running containers (as in
// Kubernetes); DNS sees them at once.
//
// DNS: each agent runs a DNS server (Server) that answers for the cluster
// domain (cluster.local) from the Services and Endpoints it watches
// (Watcher over agent/proxy.Source), and forwards every other name to the
// host's resolvers from /etc/resolv.conf:
//
//	A   name.ns.svc.cluster.local            → the ClusterIP; for a headless
//	                                           service (clusterIP: None) the ready pod IPs
//	A   hostname.name.ns.svc.cluster.local   → a headless service's pod: hostname is
//	                                           the pod's spec.hostname (with subdomain = name)
//	                                           or its IP with dots as dashes
//	SRV _port._proto.name.ns.svc.cluster.local → per named port; target the service name
//	                                           (ClusterIP) or each pod's name (headless)
//
// Unknown names under the cluster domain are NXDOMAIN (authoritative, never
// forwarded), names that exist without the asked type are NODATA, both with
// an SOA so resolvers cache the negative answer briefly. TTLs are 5 s, as
// CoreDNS's kubernetes plugin.
//
// Where it listens: on the node's pod network gateway (the first address of
// node.spec.podCIDR, port 53, UDP and TCP). Every pod on the node reaches it
// directly over its bridge, it is never a host address outside the pod
// network, and each node answers for its own pods. The socket is bound with
// IP_FREEBIND, because Podman creates the bridge only when the first pod
// joins the network. Pods get it as their only nameserver with the search
// path "<ns>.svc.cluster.local svc.cluster.local cluster.local" and
// ndots:5 (dnsPolicy ClusterFirst, the default).
//
// Building the records (BuildIndex) and the variables (ServiceEnv) are pure
// functions over the objects, tested with tables and golden files; Server
// is tested over real UDP and TCP sockets with a fake upstream.
package discovery
