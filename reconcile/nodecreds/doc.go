// Package nodecreds is the controller's side of joining hosts (the
// kubeadm/k3s model): join tokens, the certificates it issues to nodes, their
// renewal, and their revocation when a node is deleted.
//
// Records, all in the store's side records (so they survive restarts and
// travel with the store):
//
//	jointoken/<id>   jointoken.Record: the token's SHA-256, expiry, uses (never the secret)
//	nodecert/<node>  NodeRecord: the node's current key (SPKI hash) and the serials issued to it
//	revoked/<serial> Revocation: a serial refused from now on (pki.SerialString)
//
// A join (Issuer.Join) checks the token, the request (ParseJoinRequest:
// DNS-1123 node name, IP addresses, a CSR signed by an ECDSA P-256 key) and
// that the name is not held by another key, then issues a certificate for
// pki.NodeSubject(name) with ClientAuth and ServerAuth, IP SANs = the
// node's addresses, and records its serial, all in one transaction. A node
// renews itself (Issuer.Renew) over mTLS with a CSR for a new key. Deleting
// a node (Issuer.DeleteNode) deletes the Node and its pods (Kubernetes' pod
// GC would) and revokes every serial issued to it; Revoked answers from
// memory on every request, so a revoked node is refused at once.
package nodecreds
