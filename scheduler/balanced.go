package scheduler

import "math"

// BalancedAllocation is Kubernetes' NodeResourcesBalancedAllocation score:
// it prefers the node whose cpu and memory would be used in the most equal
// shares after placing the pod: 100 × (1 − the standard deviation of the
// two fractions), each fraction capped at 1. It counts the real requests
// (not the non-zero defaults), and, as Kubernetes, skips a pod that
// requests nothing (every node scores 0).
type BalancedAllocation struct{}

func (BalancedAllocation) Name() string { return "NodeResourcesBalancedAllocation" }

// PreScore skips a pod that requests no cpu and no memory.
func (BalancedAllocation) PreScore(p *PodInfo, _ *Cluster, _ []*NodeInfo) bool {
	return p.Requests.MilliCPU != 0 || p.Requests.Memory != 0
}

func (BalancedAllocation) Score(p *PodInfo, n *NodeInfo) int64 {
	var fr [2]float64
	k := 0
	if a := n.Allocatable.MilliCPU; a != 0 {
		fr[k] = min(float64(n.Requested.MilliCPU+p.Requests.MilliCPU)/float64(a), 1)
		k++
	}
	if a := n.Allocatable.Memory; a != 0 {
		fr[k] = min(float64(n.Requested.Memory+p.Requests.Memory)/float64(a), 1)
		k++
	}
	std := 0.0
	if k == 2 {
		std = math.Abs((fr[0] - fr[1]) / 2)
	}
	return int64((1 - std) * maxNodeScore)
}
