package scheduler

import (
	"math"
	"slices"

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

// The filter's verdicts, shared (callers only read them).
var (
	reasonsAffinity     = []string{ReasonAffinityRulesNotMatch}
	reasonsAnti         = []string{ReasonAntiAffinityRulesNotMatch}
	reasonsExistingAnti = []string{ReasonExistingAntiAffinityNotMatch}
)

// interPodState is InterPodAffinity's PreFilter state for one pod: the
// number of matching pods per topology domain.
type interPodState struct {
	// existingAnti: bound pods whose required anti-affinity matches the
	// pod, per domain of the term's key (one entry per key).
	existingAnti []domainCounts
	// affinity: pods matching all the pod's required affinity terms, per
	// domain of each term's key (same order as the terms).
	affinity    []domainCounts
	anyAffinity bool
	// anti: pods matching each of its required anti-affinity terms.
	anti      []domainCounts
	anyAnti   bool
	selfMatch bool // the pod matches all its own required affinity terms
}

func (InterPodAffinity) Name() string  { return "InterPodAffinity" }
func (InterPodAffinity) Weight() int64 { return 2 }

func (InterPodAffinity) PreFilter(p *PodInfo, c *Cluster) bool {
	st := interPodState{}
	pl := labels.Set(p.Pod.Labels)
	ns := p.Pod.Namespace
	for _, cl := range c.withTerms {
		if len(cl.terms.requiredAnti) == 0 || len(cl.onNode) == 0 {
			continue
		}
		for i := range cl.terms.requiredAnti {
			t := &cl.terms.requiredAnti[i]
			if !t.matches(ns, pl, c.namespaceLabels) {
				continue
			}
			tk := c.topology(t.topologyKey)
			j := slices.IndexFunc(st.existingAnti, func(d domainCounts) bool { return d.tk == tk })
			if j < 0 {
				st.existingAnti = append(st.existingAnti, newDomainCounts(tk))
				j = len(st.existingAnti) - 1
			}
			st.existingAnti[j].addClass(cl)
		}
	}
	if t := p.terms; t != nil && (len(t.requiredAffinity) > 0 || len(t.requiredAnti) > 0) {
		for i := range t.requiredAffinity {
			st.affinity = append(st.affinity, newDomainCounts(c.topology(t.requiredAffinity[i].topologyKey)))
		}
		for i := range t.requiredAnti {
			st.anti = append(st.anti, newDomainCounts(c.topology(t.requiredAnti[i].topologyKey)))
		}
		for _, cl := range c.all {
			if len(cl.onNode) == 0 {
				continue
			}
			if len(t.requiredAffinity) > 0 && matchesAll(t.requiredAffinity, cl.ns, cl.labels, c.namespaceLabels) {
				for i := range st.affinity {
					st.anyAffinity = st.affinity[i].addClass(cl) || st.anyAffinity
				}
			}
			for i := range t.requiredAnti {
				if t.requiredAnti[i].matches(cl.ns, cl.labels, c.namespaceLabels) {
					st.anyAnti = st.anti[i].addClass(cl) || st.anyAnti
				}
			}
		}
		st.selfMatch = matchesAll(t.requiredAffinity, ns, pl, c.namespaceLabels)
	}
	p.interPod = st
	return len(st.affinity) > 0 || st.anyAnti || len(st.existingAnti) > 0
}

func (InterPodAffinity) Filter(p *PodInfo, n *NodeInfo) []string {
	st := &p.interPod
	if len(st.affinity) > 0 {
		podsExist := true
		for i := range st.affinity {
			k, ok := st.affinity[i].at(n.idx)
			if !ok {
				// All topology labels must exist on the node.
				return reasonsAffinity
			}
			if k <= 0 {
				podsExist = false
			}
		}
		// The first pod of a group that is affine to itself: no pod
		// anywhere matches yet, so it may go where the keys exist.
		if !podsExist && (st.anyAffinity || !st.selfMatch) {
			return reasonsAffinity
		}
	}
	if st.anyAnti {
		for i := range st.anti {
			if k, _ := st.anti[i].at(n.idx); k > 0 {
				return reasonsAnti
			}
		}
	}
	for i := range st.existingAnti {
		if k, _ := st.existingAnti[i].at(n.idx); k > 0 {
			return reasonsExistingAnti
		}
	}
	return nil
}

// podScoreState is the score plugins' PreScore state for one pod.
type podScoreState struct {
	affinity []scoreDomains // InterPodAffinity: weight per domain, per key
	spread   spreadScoreState
	images   []int64 // ImageLocality: scaled sizes by node index (Cluster's buffer)
}

type scoreDomains struct {
	tk *topoKey
	w  []int64
}

func (InterPodAffinity) PreScore(p *PodInfo, c *Cluster, _ []*NodeInfo) bool {
	st := &p.scoreState
	st.affinity = st.affinity[:0]
	pl := labels.Set(p.Pod.Labels)
	ns := p.Pod.Namespace
	add := func(cl *podClass, t *podTerm, w int64) {
		tk := c.topology(t.topologyKey)
		j := slices.IndexFunc(st.affinity, func(d scoreDomains) bool { return d.tk == tk })
		if j < 0 {
			st.affinity = append(st.affinity, scoreDomains{tk, make([]int64, tk.values)})
			j = len(st.affinity) - 1
		}
		for idx, k := range cl.onNode {
			if v := tk.valueOf[idx]; v >= 0 {
				st.affinity[j].w[v] += w * int64(k)
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
	return len(st.affinity) > 0
}

func (InterPodAffinity) Score(p *PodInfo, n *NodeInfo) int64 {
	var sum int64
	for _, d := range p.scoreState.affinity {
		if v := d.tk.valueOf[n.idx]; v >= 0 {
			sum += d.w[v]
		}
	}
	return sum
}

// Normalize maps the lowest sum to 0 and the highest to 100.
func (InterPodAffinity) Normalize(p *PodInfo, _ []*NodeInfo, scores []int64) {
	if len(p.scoreState.affinity) == 0 {
		clear(scores) // Kubernetes skips the plugin: every node 0
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
