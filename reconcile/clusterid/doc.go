// Package clusterid makes and keeps the cluster ID: the value of the
// reconcile.cluster label on every Podman object of a cluster, so that an
// agent only ever lists, stops, removes or adopts its own cluster's pods and
// two installations on one host leave each other alone.
//
// The ID is made at the controller's first start and kept in DATA/cluster-id
// and in the store (meta "cluster/id"). By default it is a short hex hash of
// the machine (/etc/machine-id, else the hostname) and the absolute data
// directory (Default, pure), so an installation whose data directory was
// lost and that restarts with the same --data path gets the same ID back and
// adopts its running pods. --cluster-id sets it explicitly (a moved data
// directory, a restored controller on another host).
package clusterid
