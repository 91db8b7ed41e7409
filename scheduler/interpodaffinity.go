package scheduler

import (
	"math"

	"k8s.io/apimachinery/pkg/labels"
)

// InterPodAffinity is Kubernetes' InterPodAffinity plugin.
//
// Filter: a node passes when, for the pod's required podAffinity, every
// term's topology domain of the node holds a pod matching all the terms
// (or no pod anywhere matches them and the pod matches them itself: the
// first pod of a group that is affine to itself); for its required
// podAntiAffinity, no term's domain holds a matching pod; and no pod
// already bound has a required anti-affinity term that matches this pod
// within the node's domain for that term.
//
// Score: the preferred terms of the pod (and those of the bound pods
// that match it, plus their required affinity with weight 1) add or
// subtract their weight in every domain holding a matching pod; the
// sums are normalised to 0..100 between the lowest and highest node.
type InterPodAffinity struct{}

// Reasons, as Kubernetes' InterPodAffinity words them.
const (
	ReasonAffinityRulesNotMatch              = "node(s) didn't match pod affinity rules"
	ReasonAntiAffinityRulesNotMatch          = "node(s) didn't match pod anti-affinity rules"
	ReasonExistingAntiAffinityNotMatch       = "node(s) didn't satisfy existing pods anti-affinity rules"
	hardPodAffinityWeight              int64 = 1
)

// interPodState is InterPodAffinity's PreFilter state for one pod: the
// number of matching pods per topology domain.
type interPodState struct {
	existingAnti map[topoPair]int32 // bound pods' required anti-affinity matching the pod
	affinity     map[topoPair]int32 // pods matching all the pod's required affinity terms
	anti         map[topoPair]int32 // pods matching each of its required anti-affinity terms
	selfMatch    bool               // the pod matches all its own required affinity terms
}

func (InterPodAffinity) Name() string  { return "InterPodAffinity" }
func (InterPodAffinity) Weight() int64 { return 2 }

func (InterPodAffinity) PreFilter(p *PodInfo, c *Cluster) {
	st := interPodState{}
	pl := labels.Set(p.Pod.Labels)
	ns := p.Pod.Namespace
	for _, cl := range c.withTerms {
		if len(cl.terms.requiredAnti) == 0 || len(cl.onNode) == 0 {
			continue
		}
		for i := range cl.terms.requiredAnti {
			t := &cl.terms.requiredAnti[i]
			if t.matches(ns, pl, c.namespaceLabels) {
				st.existingAnti = countDomains(st.existingAnti, c, cl, t.topologyKey)
			}
		}
	}
	if t := p.terms; t != nil && (len(t.requiredAffinity) > 0 || len(t.requiredAnti) > 0) {
		for _, cl := range c.all {
			if len(cl.onNode) == 0 {
				continue
			}
			if matchesAll(t.requiredAffinity, cl.ns, cl.labels, c.namespaceLabels) {
				for i := range t.requiredAffinity {
					st.affinity = countDomains(st.affinity, c, cl, t.requiredAffinity[i].topologyKey)
				}
			}
			for i := range t.requiredAnti {
				if t.requiredAnti[i].matches(cl.ns, cl.labels, c.namespaceLabels) {
					st.anti = countDomains(st.anti, c, cl, t.requiredAnti[i].topologyKey)
				}
			}
		}
		st.selfMatch = matchesAll(t.requiredAffinity, ns, pl, c.namespaceLabels)
	}
	p.interPod = st
}

// countDomains adds the pods of class cl to m under each node's value of
// the topology key (nodes without the key count nowhere).
func countDomains(m map[topoPair]int32, c *Cluster, cl *podClass, key string) map[topoPair]int32 {
	if m == nil {
		m = map[topoPair]int32{}
	}
	for idx, n := range cl.onNode {
		if v, ok := c.nodes[idx].Node.Labels[key]; ok {
			m[topoPair{key, v}] += n
		}
	}
	return m
}

func (InterPodAffinity) Filter(p *PodInfo, n *NodeInfo) []string {
	st := &p.interPod
	nl := n.Node.Labels
	if p.terms != nil && len(p.terms.requiredAffinity) > 0 {
		podsExist := true
		for i := range p.terms.requiredAffinity {
			key := p.terms.requiredAffinity[i].topologyKey
			v, ok := nl[key]
			if !ok {
				return []string{ReasonAffinityRulesNotMatch}
			}
			if st.affinity[topoPair{key, v}] <= 0 {
				podsExist = false
			}
		}
		if !podsExist && (len(st.affinity) > 0 || !st.selfMatch) {
			return []string{ReasonAffinityRulesNotMatch}
		}
	}
	if len(st.anti) > 0 {
		for i := range p.terms.requiredAnti {
			key := p.terms.requiredAnti[i].topologyKey
			if v, ok := nl[key]; ok && st.anti[topoPair{key, v}] > 0 {
				return []string{ReasonAntiAffinityRulesNotMatch}
			}
		}
	}
	if len(st.existingAnti) > 0 {
		for k, v := range nl {
			if st.existingAnti[topoPair{k, v}] > 0 {
				return []string{ReasonExistingAntiAffinityNotMatch}
			}
		}
	}
	return nil
}

// podScoreState is the score plugins' PreScore state for one pod.
type podScoreState struct {
	affinity map[topoPair]int64 // InterPodAffinity: weight per domain
	affKeys  []string
	spread   spreadScoreState
}

func (InterPodAffinity) PreScore(p *PodInfo, c *Cluster, _ []*NodeInfo) {
	st := &p.scoreState
	st.affinity, st.affKeys = nil, st.affKeys[:0]
	pl := labels.Set(p.Pod.Labels)
	ns := p.Pod.Namespace
	add := func(cl *podClass, t *podTerm, w int64) {
		if st.affinity == nil {
			st.affinity = map[topoPair]int64{}
		}
		seen := false
		for _, k := range st.affKeys {
			seen = seen || k == t.topologyKey
		}
		if !seen {
			st.affKeys = append(st.affKeys, t.topologyKey)
		}
		for idx, n := range cl.onNode {
			if v, ok := c.nodes[idx].Node.Labels[t.topologyKey]; ok {
				st.affinity[topoPair{t.topologyKey, v}] += w * int64(n)
			}
		}
	}
	own := p.terms
	classes := c.withTerms
	if own != nil && len(own.preferredAffinity)+len(own.preferredAnti) > 0 {
		classes = c.all
	}
	for _, cl := range classes {
		if len(cl.onNode) == 0 {
			continue
		}
		if own != nil {
			for i := range own.preferredAffinity {
				if t := &own.preferredAffinity[i]; t.matches(cl.ns, cl.labels, c.namespaceLabels) {
					add(cl, t, t.weight)
				}
			}
			for i := range own.preferredAnti {
				if t := &own.preferredAnti[i]; t.matches(cl.ns, cl.labels, c.namespaceLabels) {
					add(cl, t, -t.weight)
				}
			}
		}
		if et := cl.terms; et != nil {
			for i := range et.requiredAffinity {
				if t := &et.requiredAffinity[i]; t.matches(ns, pl, c.namespaceLabels) {
					add(cl, t, hardPodAffinityWeight)
				}
			}
			for i := range et.preferredAffinity {
				if t := &et.preferredAffinity[i]; t.matches(ns, pl, c.namespaceLabels) {
					add(cl, t, t.weight)
				}
			}
			for i := range et.preferredAnti {
				if t := &et.preferredAnti[i]; t.matches(ns, pl, c.namespaceLabels) {
					add(cl, t, -t.weight)
				}
			}
		}
	}
}

func (InterPodAffinity) Score(p *PodInfo, n *NodeInfo) int64 {
	st := &p.scoreState
	if len(st.affinity) == 0 {
		return 0
	}
	var sum int64
	for _, k := range st.affKeys {
		if v, ok := n.Node.Labels[k]; ok {
			sum += st.affinity[topoPair{k, v}]
		}
	}
	return sum
}

// Normalize maps the lowest sum to 0 and the highest to 100.
func (InterPodAffinity) Normalize(p *PodInfo, _ []*NodeInfo, scores []int64) {
	if len(p.scoreState.affinity) == 0 {
		clear(scores)
		return
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range scores {
		lo, hi = min(lo, s), max(hi, s)
	}
	for i, s := range scores {
		f := 0.0
		if hi > lo {
			f = maxNodeScore * float64(s-lo) / float64(hi-lo)
		}
		scores[i] = int64(f)
	}
}
