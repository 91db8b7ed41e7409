// Package credentials issues the client configurations of a cluster from
// its CA (reconcile/pki) on the controller's machine: the admin's
// (DATA/admin.conf), a person's (`reconcile user create`, as `kubeadm
// kubeconfig user`), a node's for offline provisioning (`reconcile node
// credentials`), and the controller's own client pair for calling agents.
//
// Every key is made here, next to the CA key: whoever runs these holds the
// cluster anyway. A host that should keep its own key uses `reconcile join`
// (a CSR signed by the controller) instead.
package credentials
