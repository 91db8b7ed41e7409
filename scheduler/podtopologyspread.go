package scheduler

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// PodTopologySpread is Kubernetes' PodTopologySpread plugin for the pod's
// own topologySpreadConstraints (Kubernetes' cluster-wide default
// constraints, applied to pods that have none, are not implemented).
//
// Filter (whenUnsatisfiable DoNotSchedule): counting the pods in the pod's
// namespace that match the constraint's selector, per value of the
// topology key, over the eligible nodes (nodes with every constraint's
// key; with nodeAffinityPolicy Honor, the default, only nodes the pod's
// node affinity/selector allows; with nodeTaintsPolicy Honor only nodes
// whose taints it tolerates), a node fails when placing the pod there
// would make its domain exceed the smallest domain by more than maxSkew.
// With fewer eligible domains than minDomains the smallest counts as 0.
//
// Score (ScheduleAnyway): fewer matching pods in the node's domains is
// better, each constraint weighted by log(number of domains + 2); the
// sums are inverted and normalised to 0..100.
type PodTopologySpread struct{}

// Reasons, as Kubernetes' PodTopologySpread words them.
const (
	ReasonSpreadConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	ReasonSpreadMissingLabel        = "node(s) didn't match pod topology spread constraints (missing required label)"
)

type spreadConstraint struct {
	maxSkew       int32
	key           string
	hard          bool // DoNotSchedule
	selector      labels.Selector
	minDomains    int32
	honorAffinity bool
	honorTaints   bool
	selfMatch     bool // the pod itself matches the selector
}

func newSpreadConstraints(p *corev1.Pod, _ *requiredNodeAffinity) []spreadConstraint {
	var out []spreadConstraint
	for i := range p.Spec.TopologySpreadConstraints {
		c := &p.Spec.TopologySpreadConstraints[i]
		sel := labels.Nothing()
		if c.LabelSelector != nil {
			if s, err := metav1.LabelSelectorAsSelector(c.LabelSelector); err == nil {
				for _, k := range c.MatchLabelKeys {
					if v, ok := p.Labels[k]; ok {
						if r, err := labels.NewRequirement(k, selection.In, []string{v}); err == nil {
							s = s.Add(*r)
						}
					}
				}
				sel = s
			}
		}
		sc := spreadConstraint{
			maxSkew:       c.MaxSkew,
			key:           c.TopologyKey,
			hard:          c.WhenUnsatisfiable != corev1.ScheduleAnyway,
			selector:      sel,
			minDomains:    1,
			honorAffinity: c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor,
			honorTaints:   c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor,
		}
		if c.MinDomains != nil && sc.hard {
			sc.minDomains = *c.MinDomains
		}
		sc.selfMatch = sel.Matches(labels.Set(p.Labels))
		out = append(out, sc)
	}
	return out
}

// spreadState is the PreFilter state: per hard constraint (in the order
// of p.spread, soft ones skipped), the pods per domain and the smallest.
type spreadState struct {
	counts []map[string]int32
	minima []int32
}

func (PodTopologySpread) Name() string  { return "PodTopologySpread" }
func (PodTopologySpread) Weight() int64 { return 2 }

// eligible reports whether node n counts for constraint sc of pod p.
func (sc *spreadConstraint) eligible(p *PodInfo, n *corev1.Node) bool {
	if sc.honorAffinity && !p.requiredNode.matches(n) {
		return false
	}
	if sc.honorTaints {
		for i := range n.Spec.Taints {
			t := &n.Spec.Taints[i]
			if t.Effect != corev1.TaintEffectPreferNoSchedule && !tolerates(p.Pod.Spec.Tolerations, t) {
				return false
			}
		}
	}
	return true
}

// hasKeys reports whether the node has the topology key of every
// constraint of p that is hard (or soft).
func hasKeys(p *PodInfo, n *corev1.Node, hard bool) bool {
	for i := range p.spread {
		if p.spread[i].hard != hard {
			continue
		}
		if _, ok := n.Labels[p.spread[i].key]; !ok {
			return false
		}
	}
	return true
}

// countSpread counts, per constraint of p that is hard (or soft), the
// matching pods per domain over the eligible nodes; every eligible
// domain is present, possibly with 0.
func countSpread(p *PodInfo, c *Cluster, hard bool, counts []map[string]int32) []map[string]int32 {
	counts = counts[:0]
	for i := range p.spread {
		sc := &p.spread[i]
		if sc.hard != hard {
			continue
		}
		m := map[string]int32{}
		el := make([]bool, len(c.nodes))
		for j, n := range c.nodes {
			if hasKeys(p, n.Node, hard) && sc.eligible(p, n.Node) {
				el[j] = true
				m[n.Node.Labels[sc.key]] += 0
			}
		}
		for _, cl := range c.all {
			if cl.ns != p.Pod.Namespace || cl.terminating || len(cl.onNode) == 0 || !sc.selector.Matches(cl.labels) {
				continue
			}
			for idx, k := range cl.onNode {
				if el[idx] {
					m[c.nodes[idx].Node.Labels[sc.key]] += k
				}
			}
		}
		counts = append(counts, m)
	}
	return counts
}

func (PodTopologySpread) PreFilter(p *PodInfo, c *Cluster) {
	st := &p.spreadState
	st.counts, st.minima = nil, st.minima[:0]
	hasHard := false
	for i := range p.spread {
		hasHard = hasHard || p.spread[i].hard
	}
	if !hasHard {
		return
	}
	st.counts = countSpread(p, c, true, nil)
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if !sc.hard {
			continue
		}
		m := st.counts[k]
		k++
		lo := int32(math.MaxInt32)
		for _, v := range m {
			lo = min(lo, v)
		}
		if len(m) < int(sc.minDomains) || len(m) == 0 {
			lo = 0
		}
		st.minima = append(st.minima, lo)
	}
}

func (PodTopologySpread) Filter(p *PodInfo, n *NodeInfo) []string {
	st := &p.spreadState
	if st.counts == nil {
		return nil
	}
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if !sc.hard {
			continue
		}
		v, ok := n.Node.Labels[sc.key]
		if !ok {
			return []string{ReasonSpreadMissingLabel}
		}
		self := int32(0)
		if sc.selfMatch {
			self = 1
		}
		if st.counts[k][v]+self-st.minima[k] > sc.maxSkew {
			return []string{ReasonSpreadConstraintsNotMatch}
		}
		k++
	}
	return nil
}

// spreadScoreState is the PreScore state for the soft constraints.
type spreadScoreState struct {
	active  bool
	counts  []map[string]int32
	weights []float64
	ignored map[int32]bool // feasible nodes without every soft key
}

func (PodTopologySpread) PreScore(p *PodInfo, c *Cluster, feasible []*NodeInfo) {
	st := &p.scoreState.spread
	st.active = false
	soft := 0
	for i := range p.spread {
		if !p.spread[i].hard {
			soft++
		}
	}
	if soft == 0 {
		return
	}
	st.active = true
	st.ignored = map[int32]bool{}
	st.counts = countSpread(p, c, false, st.counts)
	st.weights = st.weights[:0]
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if sc.hard {
			continue
		}
		domains := map[string]bool{}
		size := 0
		for _, n := range feasible {
			if !hasKeys(p, n.Node, false) {
				st.ignored[n.idx] = true
				continue
			}
			size++
			domains[n.Node.Labels[sc.key]] = true
		}
		if sc.key != corev1.LabelHostname {
			size = len(domains)
		}
		st.weights = append(st.weights, math.Log(float64(size+2)))
		k++
	}
}

func (PodTopologySpread) Score(p *PodInfo, n *NodeInfo) int64 {
	st := &p.scoreState.spread
	if !st.active || st.ignored[n.idx] {
		return 0
	}
	var score float64
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if sc.hard {
			continue
		}
		if v, ok := n.Node.Labels[sc.key]; ok {
			score += float64(st.counts[k][v])*st.weights[k] + float64(sc.maxSkew-1)
		}
		k++
	}
	return int64(math.Round(score))
}

// Normalize inverts: the node with the fewest matching pods gets 100;
// nodes without the topology keys get 0.
func (PodTopologySpread) Normalize(p *PodInfo, nodes []*NodeInfo, scores []int64) {
	st := &p.scoreState.spread
	if !st.active {
		return
	}
	// Ignored nodes scored 0 above; they must not be the minimum.
	lo, hi := int64(math.MaxInt64), int64(0)
	ign := make([]bool, len(scores))
	for i := range scores {
		ign[i] = st.ignored[nodes[i].idx]
		if ign[i] {
			continue
		}
		lo, hi = min(lo, scores[i]), max(hi, scores[i])
	}
	for i, s := range scores {
		switch {
		case ign[i]:
			scores[i] = 0
		case hi == 0:
			scores[i] = maxNodeScore
		default:
			scores[i] = maxNodeScore * (hi + lo - s) / hi
		}
	}
}
