// Package proxy is the agent's service proxy, as kube-proxy's iptables mode
// (and, optionally, its nftables mode)
// (DESIGN.md §5): it turns Services and Endpoints into nat-table rules in
// chains the agent owns (RECONCILE-*), written with one
// `iptables-restore --noflush` per sync, so a sync is atomic and rules of
// others are never touched.
//
// The parts:
//
//   - Source: where services and endpoints come from (apiclient.Services,
//     apiclient.ServiceCache over HTTP; slices in tests).
//   - Render / Renderer: a pure function services + endpoints → Ruleset
//     (chains and their rules); the Renderer remembers each service's rules
//     by the resourceVersions of the Service and its Endpoints.
//   - RestoreText: the iptables-restore input from the previous Ruleset to
//     the next: full (every owned chain declared and rewritten, stale chains
//     deleted) or partial (changed chains rewritten, -D/-A of single rules
//     in the one-rule-per-service chains).
//   - IPTables: Exec runs the real tools (optionally under nsenter); Fake
//     interprets the same text in memory and refuses what iptables refuses.
//   - Proxier: the loop (List, Render, RestoreText, Restore, Wait), and
//     Cleanup for `reconcile agent --cleanup`.
//
// Why the rules look as they do, compared with kube-proxy: there is no
// chain per service. Services are sharded over at most 256 chains
// RECONCILE-SVC-<nnn>, by the last byte of the ClusterIP, reached from
// RECONCILE-SERVICES by one jump per shard (`-d 0.0.0.nnn/0.0.0.255`);
// a shard holds its services' rules inline (match ClusterIP:port, mark
// hairpin traffic, DNAT with -m statistic), so a change rewrites one
// shard of ~40 services at 10,000. SEP chains exist only for ClientIP
// affinity, EXT chains only for NodePorts; marking for masquerade is
// inline. With the nf_tables backend the costs are: iptables-nft resolves
// each jump target by scanning the table's chains (chains × jumps), the
// kernel looks up every expression's type by name when a rule is added,
// and on every nat commit it validates every rule reachable from the
// hooks (twice: from PREROUTING and from OUTPUT). At 10,000 services with
// 2 endpoints, kube-proxy's layout (30,000 chains, 50,000 jumps) takes ~45
// s to restore here, one chain per service ~3 s, the shards ~1–2 s (see
// BENCHMARKS.md). Options.NodePodCIDR halves the rules further: hairpin
// rules are only needed for endpoints on this node. Chains are declared
// in name order (iptables-nft keeps its chain cache sorted).
//
// The nftables mode (Proxier.Mode ModeNFTables, `--proxy-mode nftables`)
// writes the same services, read through the same portView model
// (view.go), into one table of its own, `ip reconcile` (nftrender.go): a
// verdict map from (daddr . protocol . dport) to the service, a map for
// NodePorts, hairpin masquerade by a set of (address . address) pairs,
// and endpoint choice by `numgen random mod N` into one map of every
// ClusterIP's endpoints, from chains balance-N shared by the services
// with N endpoints, so a new service is map elements only. NFTNetlink
// (nftlink.go, nftexpr.go) sends each sync as one netlink batch, no nft
// binary and no reading back: the whole table on the first, only the
// changed services' elements (and chains) after. Measured: every commit
// that adds a rule or a goto verdict makes the kernel re-check every
// rule reachable from the hooks, which with a chain per service cost
// 14–17 ms of kernel CPU per one-service change at 10,000 services; an
// anonymous `numgen … vmap` per service (kube-proxy's) costs the kernel
// O(services²) to name the anonymous sets; and every nft run dumps the
// table into its cache first (BENCHMARKS.md, issue 13).
package proxy
