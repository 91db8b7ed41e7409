// Package etcdclient builds the etcd client of the store's etcd engine
// from the controller's flags (--etcd-endpoints, --etcd-cafile,
// --etcd-certfile, --etcd-keyfile): endpoints checked, TLS from files,
// bounded dial. The command only wires flags to it.
package etcdclient
