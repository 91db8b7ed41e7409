// Package metrics is the controller's Prometheus instrumentation: one
// prometheus.Registry of its own (never the global default) holding the Go
// and process collectors and every reconcile_ metric of the controller, and
// the /metrics endpoint that serves a registry (also the agents', package
// agent/agentmetrics).
//
// The measured packages do not import Prometheus: each exposes a small
// observer interface that Controller implements (controllers.Observer for
// the runner's queue depth, step durations and scheduler runs,
// sources.Observer for git fetches and commits, apiserver.RequestObserver
// for API requests), called only where a nil observer costs a nil check.
// What is state rather than an event (whether a source's HEAD is applied,
// objects per kind, the store's size, node readiness) is read at scrape
// time from values the process already keeps: the sources' status records,
// the store's per-kind counts (kept as commits publish, store.Counts) and
// Badger's size estimate, the Nodes from the store's decode cache. A
// scrape of a controller holding 10,000 objects lists nothing but Nodes
// (BENCHMARKS.md "Issue 14: metrics").
//
// The endpoint (Endpoint, Serve) answers plain HTTP without credentials on
// a loopback address; on any other address it requires TLS and a guard
// (the controller: the API server's TLS and apiserver.Server.Guard, so a
// client certificate of the cluster CA or a bearer token of a person whose
// role may read /metrics: admin, deployer, viewer or metrics).
package metrics
