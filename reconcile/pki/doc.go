// Package pki is the cluster's certificate authority: the keys and
// certificates that make every connection of a cluster TLS, verified both
// ways (issue "A real cluster across hosts").
//
// The model is kubeadm's and k3s':
//
//   - one cluster CA (ECDSA P-256, ten years), made at the controller's
//     first start and kept in DATA/pki with mode 0600 keys (LoadOrCreateCA);
//   - a serving certificate for the API with SANs for the controller's
//     hostnames and addresses (EnsureServing), renewed when a third of its
//     lifetime is left or its names changed;
//   - client certificates whose subject is the identity: a node is
//     CN "node:<name>", O "reconcile:nodes" (NodeSubject); a person is
//     CN "<user>", O "<role>" (UserSubject); the controller itself, calling
//     agents, is ControllerSubject. Certificates are issued by signing a CSR
//     made where the key lives (Sign), so a node's key never leaves it;
//   - the CA hash, "sha256:<hex>" of the CA certificate's
//     SubjectPublicKeyInfo (kubeadm's --discovery-token-ca-cert-hash):
//     a join token carries it, so the joining host pins the CA before it
//     sends anything.
//
// Everything here is crypto/x509 and crypto/ecdsa from the standard
// library; files are written atomically.
package pki
