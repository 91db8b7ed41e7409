// Package join is the node's side of joining a cluster (`reconcile join
// URL --token T`, the kubeadm/k3s model) and of keeping the node's
// credentials fresh afterwards.
//
// Join:
//
//  1. refuses a plain http:// URL (a token and a node's credentials never
//     travel unencrypted);
//  2. opens TLS to the controller without trusting anything yet, takes the
//     cluster CA from the handshake (the serving certificate is sent as
//     [leaf, CA]) and compares its hash (pki.CAHash) with the one the token
//     carries before a byte of HTTP is sent; a different hash ends the
//     handshake with an error naming both; then verifies the serving
//     certificate against that CA and the URL's host;
//  3. makes an ECDSA P-256 key on the node, sends a CSR with the token
//     (POST /api/v1/join), checks the certificate it gets back (its key,
//     its CA, its subject pki.NodeSubject(node));
//  4. writes DATA/agent.conf (a client config: the https server, the CA, the
//     certificate and key; mode 0600), which `reconcile agent
//     --config-file` runs with.
//
// A host that joined before reuses DATA/agent.conf while the controller
// accepts it (the same CA and node name, and the certificate is not
// revoked); a deleted node joins again with a new key.
//
// Credentials holds a node's certificate for its HTTP client: the TLS
// configuration asks for the current pair at every handshake, and
// KeepRenewed renews it (new key, CSR over mTLS) when a third of its
// lifetime is left (pki.RenewAt), rewriting agent.conf atomically; the
// agent reports the certificate's end as the Node annotation
// node.reconcile.dev/certificate-not-after.
package join
