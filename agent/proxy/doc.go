// Package proxy is the agent's service proxy, as kube-proxy's iptables mode
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
// Why the rules look as they do, compared with kube-proxy: the DNAT of a
// service without session affinity is in its SVC chain (no per-endpoint
// SEP chain) and marking for masquerade is inline (no jump to a marking
// chain). iptables-nft 1.8 resolves each jump target by scanning the
// table's chains, so the restore time grows with chains × jumps: at 10,000
// services with 2 endpoints the kube-proxy layout (30,000 chains, 50,000
// jumps) takes ~45 s to restore here, this one (10,000 chains, 10,000
// jumps) ~3 s. Chains are declared in name order for the same reason
// (iptables-nft keeps its chain cache sorted).
package proxy
