// Package nodeipam gives every node its own pod subnet (node.spec.podCIDR),
// as the Kubernetes controller-manager's node IPAM does: /24s carved out of
// a cluster CIDR (default 10.244.0.0/16), lowest free first.
//
// The allocation is made when a node registers, inside the registration's
// store transaction, and is kept in the store meta record "nodeipam/podcidrs"
// (node name → subnet). A node that registers again — an agent restart, a
// re-registration after the controller lost the Node, an agent that sends
// an empty spec — gets the same subnet back, so pod addresses and the
// routes other nodes keep to it stay valid. Subnets are not released when a
// Node disappears: a node that comes back expects its old subnet, and the
// default CIDR holds 256 nodes.
//
// Allocate is pure (table-tested); Assign is the transaction step.
package nodeipam
