package clusternet

// Defaults as in kubeadm with flannel: a /16 cluster CIDR, a /24 per node
// (reconcile/nodeipam allocates from it).
const (
	DefaultClusterCIDR = "10.244.0.0/16"
	DefaultNodeMask    = 24
)

// Kubernetes' default service range and NodePort range (package
// reconcile's DefaultServiceNetwork allocates from them).
const (
	DefaultServiceCIDR = "10.96.0.0/16"
	DefaultNodePortMin = 30000
	DefaultNodePortMax = 32767
)
