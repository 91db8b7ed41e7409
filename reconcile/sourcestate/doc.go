// Package sourcestate holds the record of a git source as the store keeps
// it and the API serves it: its status (last applied and attempted commit,
// errors, drift) and its history of applied commits. Package reconcile
// writes these records; the API client and the CLI read them.
//
// It is a package of its own, importing nothing of the product, so that
// a client (the node agent above all, see cmd/reconcile-agent) can decode
// them without linking the store, Badger and etcd that package reconcile
// brings (their package init and data are resident in every process that
// links them). Package reconcile keeps its names as aliases.
package sourcestate
