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

// The filter's verdicts, shared (callers only read them): a rejection
// allocates nothing.
var (
	reasonsSpreadNotMatch     = []string{ReasonSpreadConstraintsNotMatch}
	reasonsSpreadMissingLabel = []string{ReasonSpreadMissingLabel}
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
	// systemDefault: one of Kubernetes' system default constraints
	// (spread_defaults.go): a node lacking its key is not ignored, it only
	// has no term for it (Kubernetes' requireAllTopologies = false).
	systemDefault bool
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
// of p.spread, soft ones skipped), the pods per domain (-1: a domain of no
// eligible node) and the smallest count.
type spreadState struct {
	counts []domainCounts
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

// countSpread counts, per constraint of p that is hard (or soft), the
// matching pods per domain over the eligible nodes: nodes with the
// topology key of every such constraint that the constraint's policies
// admit. Domains of no eligible node stay at -1.
func countSpread(p *PodInfo, c *Cluster, hard bool) []domainCounts {
	var keys []*topoKey
	for i := range p.spread {
		if p.spread[i].hard == hard {
			keys = append(keys, c.topology(p.spread[i].key))
		}
	}
	var counts []domainCounts
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if sc.hard != hard {
			continue
		}
		d := newDomainCounts(keys[k])
		k++
		for j := range d.n {
			d.n[j] = -1
		}
		el := c.scratchBools(len(c.nodes))
	nodes:
		for j, n := range c.nodes {
			for _, tk := range keys {
				if tk.valueOf[j] < 0 && (!sc.systemDefault || tk == d.tk) {
					continue nodes
				}
			}
			if sc.eligible(p, n.Node) {
				el[j] = true
				d.n[d.tk.valueOf[j]] = 0
			}
		}
		for _, cl := range c.matching(p.Pod.Namespace, sc.selector) {
			if cl.terminating || len(cl.onNode) == 0 {
				continue
			}
			for idx, k := range cl.onNode {
				if el[idx] {
					d.n[d.tk.valueOf[idx]] += k
				}
			}
		}
		counts = append(counts, d)
	}
	return counts
}

// countSoftSpread is countSpread for the soft constraints, which only
// Score reads, and only at the feasible nodes' domains: it counts the
// matching pods on eligible nodes per domain, deciding eligibility only
// for the nodes that hold such pods (as Kubernetes' PreScore, which skips
// the per-node counts of the hostname key entirely). Domains are 0, not
// -1, when no eligible node is in them: Score treats both alike. Unlike
// countSpread it never walks every node, which at 5,000 nodes was most of
// a pod's scheduling time; its counts live in the Cluster's scratch space
// until the next pod's PreScore.
func countSoftSpread(p *PodInfo, c *Cluster) []domainCounts {
	var keys []*topoKey
	for i := range p.spread {
		if !p.spread[i].hard {
			keys = append(keys, c.topology(p.spread[i].key))
		}
	}
	counts := make([]domainCounts, 0, len(keys))
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if sc.hard {
			continue
		}
		d := domainCounts{tk: keys[k], n: c.scratchCounts(k, keys[k].values)}
		k++
		// 0: not decided yet, 1: eligible, 2: not.
		verdict := c.scratchBytes(len(c.nodes))
		eligible := func(j int32) bool {
			if verdict[j] == 0 {
				verdict[j] = 2
				if sc.eligibleAt(p, c, keys, d.tk, j) {
					verdict[j] = 1
				}
			}
			return verdict[j] == 1
		}
		for _, cl := range c.matching(p.Pod.Namespace, sc.selector) {
			if cl.terminating || len(cl.onNode) == 0 {
				continue
			}
			for idx, n := range cl.onNode {
				if v := d.tk.valueOf[idx]; v >= 0 && eligible(idx) {
					d.n[v] += n
				}
			}
		}
		counts = append(counts, d)
	}
	return counts
}

// eligibleAt is countSpread's test of node j for constraint sc: it has the
// keys (every one of keys, or for a system default only its own, tk) and
// the constraint's policies admit it.
func (sc *spreadConstraint) eligibleAt(p *PodInfo, c *Cluster, keys []*topoKey, tk *topoKey, j int32) bool {
	for _, k := range keys {
		if k.valueOf[j] < 0 && (!sc.systemDefault || k == tk) {
			return false
		}
	}
	return sc.eligible(p, c.nodes[j].Node)
}

func (PodTopologySpread) PreFilter(p *PodInfo, c *Cluster) bool {
	st := &p.spreadState
	st.counts, st.minima = nil, st.minima[:0]
	hasHard := false
	for i := range p.spread {
		hasHard = hasHard || p.spread[i].hard
	}
	if !hasHard {
		return false
	}
	st.counts = countSpread(p, c, true)
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if !sc.hard {
			continue
		}
		lo, domains := int32(math.MaxInt32), 0
		for _, v := range st.counts[k].n {
			if v >= 0 {
				lo = min(lo, v)
				domains++
			}
		}
		k++
		// Fewer eligible domains than minDomains: the global minimum is 0.
		if domains < int(sc.minDomains) || domains == 0 {
			lo = 0
		}
		st.minima = append(st.minima, lo)
	}
	return true
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
		cnt, ok := st.counts[k].at(n.idx)
		if !ok {
			return reasonsSpreadMissingLabel
		}
		self := int32(0)
		if sc.selfMatch {
			self = 1
		}
		if max(cnt, 0)+self-st.minima[k] > sc.maxSkew {
			return reasonsSpreadNotMatch
		}
		k++
	}
	return nil
}

// spreadScoreState is the PreScore state for the soft constraints.
type spreadScoreState struct {
	counts  []domainCounts
	weights []float64
	anyKey  bool // system defaults: a node is scored on the keys it has
}

// ignored reports whether node idx lacks a soft constraint's key: such a
// node scores 0 (Kubernetes' IgnoredNodes). Under the system defaults no
// node is ignored for a missing key.
func (st *spreadScoreState) ignored(idx int32) bool {
	if st.anyKey {
		return false
	}
	for _, d := range st.counts {
		if d.tk.valueOf[idx] < 0 {
			return true
		}
	}
	return false
}

func (PodTopologySpread) PreScore(p *PodInfo, c *Cluster, feasible []*NodeInfo) bool {
	st := &p.scoreState.spread
	st.counts, st.weights = nil, st.weights[:0]
	soft := false
	for i := range p.spread {
		soft = soft || !p.spread[i].hard
	}
	if !soft {
		return false
	}
	st.anyKey = p.spread[0].systemDefault
	st.counts = countSoftSpread(p, c)
	for _, d := range st.counts {
		// The weight grows with the number of domains among the feasible
		// nodes (for the hostname key: of feasible nodes).
		seen := c.scratchBools(d.tk.values)
		size := 0
		for _, n := range feasible {
			if st.ignored(n.idx) {
				continue
			}
			if v := d.tk.valueOf[n.idx]; v >= 0 && (d.tk.key == corev1.LabelHostname || !seen[v]) {
				seen[v] = true
				size++
			}
		}
		st.weights = append(st.weights, math.Log(float64(size+2)))
	}
	return true
}

func (PodTopologySpread) Score(p *PodInfo, n *NodeInfo) int64 {
	st := &p.scoreState.spread
	if st.counts == nil || st.ignored(n.idx) {
		return 0
	}
	var score float64
	k := 0
	for i := range p.spread {
		sc := &p.spread[i]
		if sc.hard {
			continue
		}
		if cnt, ok := st.counts[k].at(n.idx); ok {
			score += float64(max(cnt, 0))*st.weights[k] + float64(sc.maxSkew-1)
		}
		k++
	}
	return int64(math.Round(score))
}

// Normalize inverts: the node with the fewest matching pods gets 100;
// nodes without the topology keys get 0.
func (PodTopologySpread) Normalize(p *PodInfo, nodes []*NodeInfo, scores []int64) {
	st := &p.scoreState.spread
	if st.counts == nil {
		return
	}
	lo, hi := int64(math.MaxInt64), int64(0)
	for i := range scores {
		if !st.ignored(nodes[i].idx) {
			lo, hi = min(lo, scores[i]), max(hi, scores[i])
		}
	}
	for i, s := range scores {
		switch {
		case st.ignored(nodes[i].idx):
			scores[i] = 0
		case hi == 0:
			scores[i] = maxNodeScore
		default:
			scores[i] = maxNodeScore * (hi + lo - s) / hi
		}
	}
}
