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
// scaled sizes into the cluster's per-node buffer (most nodes have none
// and score 0); the buffer serves one pod at a time.
func (ImageLocality) PreScore(p *PodInfo, c *Cluster, _ []*NodeInfo) bool {
	st := &p.scoreState
	st.images = nil
	total := float64(len(c.nodes))
	for _, idx := range c.imageTouched {
		c.imageSums[idx] = 0
	}
	c.imageTouched = c.imageTouched[:0]
	for _, img := range p.images {
		on := c.imageOn[img]
		if len(on) == 0 {
			continue
		}
		if c.imageSums == nil {
			c.imageSums = make([]int64, len(c.nodes))
		}
		spread := float64(len(on)) / total
		for _, at := range on {
			if c.imageSums[at.node] == 0 {
				c.imageTouched = append(c.imageTouched, at.node)
			}
			c.imageSums[at.node] += int64(float64(at.size) * spread)
		}
		st.images = c.imageSums
	}
	return st.images != nil
}

func (ImageLocality) Score(p *PodInfo, n *NodeInfo) int64 {
	if p.scoreState.images == nil {
		return 0
	}
	sum := p.scoreState.images[n.idx]
	if sum == 0 {
		return 0
	}
	maxThreshold := imageMaxContainerSize * int64(len(p.images))
	sum = min(max(sum, imageMinThreshold), maxThreshold)
	return maxNodeScore * (sum - imageMinThreshold) / (maxThreshold - imageMinThreshold)
}
