// Package ingress is the agent's built-in ingress controller: an HTTP(S)
// reverse proxy on the node's ports 80 and 443 serving the Ingresses
// (networking.k8s.io/v1) whose IngressClass names the controller
// reconcile.dev/ingress.
//
// It is split as the service proxy is (agent/proxy): a pure part,
// Build(Snapshot) → *Table, the routing table with Kubernetes' precedence
// (exact host before wildcard before any host; Exact before Prefix; the
// longest Prefix, matched element by element), golden-tested through
// Table.String; and the I/O part, Server (net/http and
// httputil.ReverseProxy) holding the current table behind an
// atomic.Pointer, so a new configuration is swapped in whole while the
// requests and connections in flight go on with the one they started with.
// Run follows a Source (the controller's API, apiclient.IngressSource) and
// swaps a new table in after every change.
package ingress
