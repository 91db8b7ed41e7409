// Package jointoken is the join token of a cluster, in the kubeadm/k3s
// model: an id and a secret (kubeadm's "[a-z0-9]{6}.[a-z0-9]{16}"), printed
// together with the cluster CA's hash so that the joining host can pin the
// CA before it sends anything.
//
// The printed form is k3s' secure token:
//
//	K10<hex sha256 of the CA's SubjectPublicKeyInfo>::<id>.<secret>
//
// (the hex is pki.CAHash without its "sha256:" prefix). `reconcile join`
// needs that form; the bearer token it sends is "<id>.<secret>", and the
// controller accepts either. The controller keeps only a SHA-256 of the
// secret (Record), so its store never holds a usable token.
//
// Everything here is pure: parsing, generating, hashing and checking a
// token against its record. The records live in the controller's store
// (package reconcile/nodecreds).
package jointoken
