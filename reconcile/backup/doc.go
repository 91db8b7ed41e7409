// Package backup saves and restores the control plane's store as one file
// (`reconcile snapshot save|restore`): the store's own snapshot format
// (reconcile/store snapshot.go: every object and side record at one
// resourceVersion, with a SHA-256), fetched over the API from a running
// controller and written atomically, and restored into a stopped
// controller's data directory (Badger) or into etcd (store.RestoreEtcd).
//
// What a snapshot does not hold: the data directory's keys (DATA/pki: the
// cluster CA that agents trust; DATA/store.key; the secrets identity).
// Back those up once, with the data directory: they do not change with
// every commit. Disaster recovery without any snapshot is the other road:
// desired state comes back from git, and agents report the pods they still
// run, which are adopted rather than restarted (docs/internals.md).
package backup
