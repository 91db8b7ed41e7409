package scheduler

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Cluster is what the plugins see beyond one node: every node, and the
// bound pods grouped into classes of identical pods (same namespace,
// labels and affinity), each class knowing how many of its pods run on
// which node. Replicas of one workload share a class, so the inter-pod
// affinity and spread plugins match a selector once per class instead of
// once per pod, and binding a pod only bumps one counter. Schedule keeps
// it current as it binds.
type Cluster struct {
	nodes   []*NodeInfo
	classes map[string]*podClass
	all     []*podClass // in creation order, for deterministic walks
	// withTerms are the classes whose pods have pod (anti-)affinity terms:
	// the ones an incoming pod must be checked against.
	withTerms []*podClass
	// imageOn lists, per normalised image name, the nodes that have it.
	imageOn map[string][]imageAt
	// preferNoSchedule counts the nodes with a PreferNoSchedule taint
	// (TaintToleration's PreScore); a taint change rebuilds the snapshot.
	preferNoSchedule int
	nsLabels         map[string]labels.Set
	// topoKeys are the topology keys the plugins asked about, each node's
	// value interned to a small integer so that counting pods per domain
	// is indexing a slice, not hashing strings.
	topoKeys map[string]*topoKey
	scratch  []bool
	counts   [][]int32 // scratchCounts
	bytes    []byte    // scratchBytes
	// imageSums and imageTouched are ImageLocality's per-pod buffer.
	imageSums    []int64
	imageTouched []int32
	// matches memoises selector → matching classes (matching).
	matches map[string]*classMatches
	// live counts the classes with pods; a Snapshot rebuilds once most
	// of c.all are empty.
	live int
}

// classMatches are the classes, of the first seen of c.all, whose pods a
// selector matches in one namespace.
type classMatches struct {
	seen    int
	classes []*podClass
}

// matching returns the classes of namespace ns whose labels sel matches.
// Pods of one app share their selector, so it is matched against each
// class once per Schedule call, not once per pod; classes are only ever
// appended to c.all, so an entry is brought up to date by matching the
// classes added since.
func (c *Cluster) matching(ns string, sel labels.Selector) []*podClass {
	key := ns + "\x00" + sel.String()
	if !sel.Empty() && key[len(key)-1] == 0 {
		key += "nothing" // labels.Nothing() prints as "", as Everything() does
	}
	m := c.matches[key]
	if m == nil {
		if c.matches == nil {
			c.matches = map[string]*classMatches{}
		}
		m = &classMatches{}
		c.matches[key] = m
	}
	for ; m.seen < len(c.all); m.seen++ {
		if cl := c.all[m.seen]; cl.ns == ns && sel.Matches(cl.labels) {
			m.classes = append(m.classes, cl)
		}
	}
	return m.classes
}

type imageAt struct {
	node int32
	size int64
}

// topoKey is one node label key used as a topology key: the value id of
// each node (by node index; -1 when the node lacks the label).
type topoKey struct {
	key     string
	valueOf []int32
	values  int
}

// topology returns the interned values of key, built on first use.
func (c *Cluster) topology(key string) *topoKey {
	if tk := c.topoKeys[key]; tk != nil {
		return tk
	}
	tk := &topoKey{key: key, valueOf: make([]int32, len(c.nodes))}
	ids := map[string]int32{}
	for i, n := range c.nodes {
		v, ok := n.Node.Labels[key]
		if !ok {
			tk.valueOf[i] = -1
			continue
		}
		id, seen := ids[v]
		if !seen {
			id = int32(len(ids))
			ids[v] = id
		}
		tk.valueOf[i] = id
	}
	tk.values = len(ids)
	if c.topoKeys == nil {
		c.topoKeys = map[string]*topoKey{}
	}
	c.topoKeys[key] = tk
	return tk
}

// domainCounts counts pods per value of one topology key.
type domainCounts struct {
	tk *topoKey
	n  []int32
}

func newDomainCounts(tk *topoKey) domainCounts {
	return domainCounts{tk: tk, n: make([]int32, tk.values)}
}

// at returns the count in node idx's domain and whether it has one.
func (d *domainCounts) at(idx int32) (int32, bool) {
	v := d.tk.valueOf[idx]
	if v < 0 {
		return 0, false
	}
	return d.n[v], true
}

// addClass adds the pods of class cl to their nodes' domains (nodes
// without the key count nowhere); it reports whether any counted.
func (d *domainCounts) addClass(cl *podClass) bool {
	any := false
	for idx, k := range cl.onNode {
		if v := d.tk.valueOf[idx]; v >= 0 {
			d.n[v] += k
			any = true
		}
	}
	return any
}

// podClass is a set of identical bound pods and where they run.
type podClass struct {
	ns          string
	labels      labels.Set
	terms       *podTerms // nil when the pods have no pod (anti-)affinity
	terminating bool
	onNode      map[int32]int32 // node index -> pods of the class there
	pods        int             // in all
}

// namespaceLabels are a namespace's labels for namespaceSelector, with
// kubernetes.io/metadata.name as the API server sets it.
func (c *Cluster) namespaceLabels(ns string) labels.Set {
	if l, ok := c.nsLabels[ns]; ok {
		return l
	}
	l := labels.Set{"kubernetes.io/metadata.name": ns}
	if c.nsLabels == nil {
		c.nsLabels = map[string]labels.Set{}
	}
	c.nsLabels[ns] = l
	return l
}

// SetNamespaceLabels gives the labels of the cluster's namespaces, for
// pod affinity terms with a namespaceSelector.
func (c *Cluster) SetNamespaceLabels(ns map[string]map[string]string) {
	c.nsLabels = make(map[string]labels.Set, len(ns))
	for name, l := range ns {
		set := labels.Set{"kubernetes.io/metadata.name": name}
		for k, v := range l {
			set[k] = v
		}
		c.nsLabels[name] = set
	}
}

func classKey(p *corev1.Pod) string {
	var b strings.Builder
	b.WriteString(p.Namespace)
	b.WriteByte(0)
	b.WriteString(labels.Set(p.Labels).String())
	if p.DeletionTimestamp != nil {
		b.WriteString("\x00T")
	}
	if a := p.Spec.Affinity; a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil) {
		b.WriteByte(0)
		b.WriteString(a.PodAffinity.String())
		b.WriteString(a.PodAntiAffinity.String())
	}
	return b.String()
}

// addPod records pod p (whose PodInfo may be nil for a bound pod) on n.
func (c *Cluster) addPod(pod *corev1.Pod, info *PodInfo, n *NodeInfo) {
	if info != nil {
		c.addPodAs(pod, info.classKey, info, n)
		return
	}
	c.addPodAs(pod, classKey(pod), nil, n)
}

// addPodAs records pod p of class key on n.
func (c *Cluster) addPodAs(pod *corev1.Pod, key string, info *PodInfo, n *NodeInfo) {
	cl := c.classes[key]
	if cl == nil {
		cl = &podClass{ns: pod.Namespace, labels: labels.Set(pod.Labels), terminating: pod.DeletionTimestamp != nil, onNode: map[int32]int32{}}
		if info != nil {
			cl.terms = info.terms
		} else {
			cl.terms = newPodTerms(pod)
		}
		c.classes[key] = cl
		c.all = append(c.all, cl)
		if cl.terms != nil {
			c.withTerms = append(c.withTerms, cl)
		}
	}
	if cl.pods == 0 {
		c.live++
	}
	cl.pods++
	cl.onNode[n.idx]++
	n.Pods = append(n.Pods, pod)
}

// removePodAs takes pod p of class key off n again (a Snapshot's pod
// change, or a placement undone). The class stays, empty, until the
// Snapshot rebuilds: matching's memo only ever appends classes.
func (c *Cluster) removePodAs(pod *corev1.Pod, key string, n *NodeInfo) {
	if cl := c.classes[key]; cl != nil {
		if cl.onNode[n.idx]--; cl.onNode[n.idx] <= 0 {
			delete(cl.onNode, n.idx)
		}
		if cl.pods--; cl.pods == 0 {
			c.live--
		}
	}
	for i, q := range n.Pods {
		if q == pod {
			n.Pods = slices.Delete(n.Pods, i, i+1)
			break
		}
	}
}

// normalizedImageName adds ":latest" to an untagged image, as Kubernetes'
// ImageLocality does before it compares names.
func normalizedImageName(name string) string {
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		name += ":latest"
	}
	return name
}

// scratchBools returns a zeroed []bool of length n, reused between calls
// (the plugins run one at a time).
// scratchCounts is the i-th zeroed count buffer of n domains, valid
// until the next call for i (countSoftSpread: one pod's soft counts).
func (c *Cluster) scratchCounts(i, n int) []int32 {
	for len(c.counts) <= i {
		c.counts = append(c.counts, nil)
	}
	if cap(c.counts[i]) < n {
		c.counts[i] = make([]int32, n)
	}
	b := c.counts[i][:n]
	clear(b)
	return b
}

// scratchBytes is a zeroed buffer of n bytes, valid until the next call.
func (c *Cluster) scratchBytes(n int) []byte {
	if cap(c.bytes) < n {
		c.bytes = make([]byte, n)
	}
	c.bytes = c.bytes[:n]
	clear(c.bytes)
	return c.bytes
}

func (c *Cluster) scratchBools(n int) []bool {
	if cap(c.scratch) < n {
		c.scratch = make([]bool, n)
	}
	c.scratch = c.scratch[:n]
	clear(c.scratch)
	return c.scratch
}
