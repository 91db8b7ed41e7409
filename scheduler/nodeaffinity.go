package scheduler

// NodeAffinity is Kubernetes' NodeAffinity plugin. Its filter rejects
// nodes that do not match the pod's nodeSelector AND its required node
// affinity (any one of the nodeSelectorTerms; all requirements of a term;
// matchFields on metadata.name). Its score sums the weights of the
// preferred terms the node matches, normalised so the best node gets 100.
type NodeAffinity struct{}

var reasonsNodeAffinity = []string{ReasonNodeSelector} // shared: callers only read it

func (NodeAffinity) Name() string  { return "NodeAffinity" }
func (NodeAffinity) Weight() int64 { return 2 }

// PreFilter skips a pod without nodeSelector and required node affinity.
func (NodeAffinity) PreFilter(p *PodInfo, _ *Cluster) bool { return p.requiredNode != nil }

func (NodeAffinity) Filter(p *PodInfo, n *NodeInfo) []string {
	if !p.requiredNode.matches(n.Node) {
		return reasonsNodeAffinity
	}
	return nil
}

// PreScore skips a pod without preferred terms.
func (NodeAffinity) PreScore(p *PodInfo, _ *Cluster, _ []*NodeInfo) bool {
	return len(p.preferredNode) > 0
}

func (NodeAffinity) Score(p *PodInfo, n *NodeInfo) int64 {
	var sum int64
	for i := range p.preferredNode {
		if p.preferredNode[i].term.matches(n.Node) {
			sum += p.preferredNode[i].weight
		}
	}
	return sum
}

func (NodeAffinity) Normalize(_ *PodInfo, _ []*NodeInfo, scores []int64) {
	defaultNormalize(scores, false)
}

// defaultNormalize is Kubernetes' DefaultNormalizeScore: scale so the
// highest score is 100 (all stay 0 when all are 0); reverse turns the
// scale around, for plugins that count something bad.
func defaultNormalize(scores []int64, reverse bool) {
	var top int64
	for _, s := range scores {
		top = max(top, s)
	}
	if top == 0 {
		if reverse {
			for i := range scores {
				scores[i] = maxNodeScore
			}
		}
		return
	}
	for i, s := range scores {
		s = maxNodeScore * s / top
		if reverse {
			s = maxNodeScore - s
		}
		scores[i] = s
	}
}

const maxNodeScore = 100
