// Package etcdtest starts real etcd members inside a test process
// (go.etcd.io/etcd/server/v3/embed) on random loopback ports, with their
// data in t.TempDir(), so that the store's conformance suite and other
// packages' tests run against the real engine rather than a fake.
package etcdtest
