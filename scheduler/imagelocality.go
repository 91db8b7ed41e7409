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

// PreScore sums, for the nodes that have any of the pod's images, the
// scaled sizes (most nodes have none, and score 0 without a lookup).
func (ImageLocality) PreScore(p *PodInfo, c *Cluster, _ []*NodeInfo) bool {
	st := &p.scoreState
	st.images = nil
	total := float64(len(c.nodes))
	for _, img := range p.images {
		on := c.imageOn[img]
		if len(on) == 0 {
			continue
		}
		if st.images == nil {
			st.images = map[int32]int64{}
		}
		spread := float64(len(on)) / total
		for _, at := range on {
			st.images[at.node] += int64(float64(at.size) * spread)
		}
	}
	return st.images != nil
}

func (ImageLocality) Score(p *PodInfo, n *NodeInfo) int64 {
	sum := p.scoreState.images[n.idx]
	if sum == 0 {
		return 0
	}
	maxThreshold := imageMaxContainerSize * int64(len(p.images))
	sum = min(max(sum, imageMinThreshold), maxThreshold)
	return maxNodeScore * (sum - imageMinThreshold) / (maxThreshold - imageMinThreshold)
}
