// Package proxy is the agent's service proxy, as kube-proxy's iptables mode
// (DESIGN.md §5): it turns Services and Endpoints into nat-table rules in
// chains the agent owns, written with one `iptables-restore --noflush` per
// sync so a sync is atomic.
//
// The parts: Source (where services and endpoints come from), Render (a pure
// function: services + endpoints -> iptables-restore text), Applier (writes
// that text; the real one runs iptables-restore, a fake records it), and
// Proxier (the loop: List, Render, Apply, Wait).
package proxy
