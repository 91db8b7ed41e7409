// Package agentcmd is the node agent's command line: the `agent` and
// `join` commands (flags wired to agent.New, the pod network's bootstrap,
// the service proxy, the ingress proxy, the metrics endpoint, simulated
// nodes), and RunAgent / RunNodeAgent, which `reconcile up` runs beside its
// controller.
//
// Two binaries share it, so that `reconcile agent` and `reconcile-agent
// agent` (likewise join) are one code path: the product binary
// (cmd/reconcile) and the node binary (cmd/reconcile-agent), which holds
// only what a node needs, as Kubernetes ships the kubelet apart from the
// apiserver. The one difference is AdminConnect: simulated nodes made with
// an admin's client config instead of a join token need the CLI's client
// resolution, which only the product binary passes.
//
// Keep this package, and everything it imports, off the controller's
// packages (the store, Badger, etcd, CUE, the controllers, the API
// server): a package linked into a binary costs every process of it its
// init work and its resident pages (BENCHMARKS.md "Issue 13: agent memory
// (round 3)"). TestNodeBinaryImports (cmd/reconcile-agent) fails when one
// comes back.
package agentcmd
