// Package agentmetrics is a node agent's Prometheus instrumentation: a
// prometheus.Registry of its own (never the global default) with the Go and
// process collectors and the agent's reconcile_agent_ metrics, fed by the
// agent's hooks (agent.Observer for pod syncs, container restarts and probe
// failures; agent.PodmanRuntime.OnAPIError for Podman API errors;
// proxy.Proxier.OnSync for the service proxy's syncs).
//
// The endpoint is reconcile/metrics' Endpoint: plain HTTP on loopback
// (--metrics-listen, default 127.0.0.1:7422); beyond loopback HTTPS with
// the node's certificate, and only a client certificate of the cluster CA
// whose identity may read /metrics (reconcile/authz: admin, deployer,
// viewer, metrics) is answered (TLS and Guard). An agent cannot check a
// bearer token (people's tokens are known to the controller only) or the
// controller's revocation list: a deleted person's certificate reads an
// agent's metrics until it expires, as a kubelet's client-certificate auth.
package agentmetrics
