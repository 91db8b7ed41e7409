// Package promkit is the Prometheus plumbing the controller and the node
// agent share: a registry of the process's own (Go and process collectors),
// the product's histogram buckets, a Factory for reconcile_* metrics, and
// the /metrics endpoint (plain HTTP on loopback, TLS and a guard beyond,
// pprof on loopback only).
//
// It is apart from package metrics, the controller's instrumentation,
// because that one implements the controllers' observer interfaces and so
// imports the controllers, the store, Badger and etcd: the agent
// (agent/agentmetrics) imports only this, which keeps those packages' init
// and data out of the node binary (cmd/reconcile-agent). Package metrics
// keeps these names as aliases.
package promkit
