package scheduler

// ImageLocality is Kubernetes' ImageLocality score: it prefers nodes that
// already have the pod's images (node.status.images, which the agent
// reports from Podman), by size, scaled down by how few nodes have them so
// that an image every node has does not pull all pods to one node. The sum
// is clamped between 23 MB and 1000 MB per container and mapped to 0..100.
type ImageLocality struct{}

const (
	mb                    int64 = 1024 * 1024
	imageMinThreshold           = 23 * mb
	imageMaxContainerSize       = 1000 * mb
)

func (ImageLocality) Name() string { return "ImageLocality" }

func (ImageLocality) Score(p *PodInfo, n *NodeInfo) int64 {
	if len(n.images) == 0 || len(p.images) == 0 {
		return 0
	}
	total := len(n.cluster.nodes)
	var sum int64
	for _, img := range p.images {
		if size, ok := n.images[img]; ok {
			spread := float64(n.cluster.imageNodes[img]) / float64(total)
			sum += int64(float64(size) * spread)
		}
	}
	maxThreshold := imageMaxContainerSize * int64(len(p.images))
	sum = min(max(sum, imageMinThreshold), maxThreshold)
	return maxNodeScore * (sum - imageMinThreshold) / (maxThreshold - imageMinThreshold)
}
