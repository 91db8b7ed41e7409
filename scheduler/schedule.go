package scheduler

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Result is the outcome of one Schedule call.
type Result struct {
	// Bindings maps a pod key ("namespace/name") to the node it goes to.
	Bindings map[string]string
	// Unschedulable maps a pod key to why no node took it.
	Unschedulable map[string]Failure
	// Preemptions maps the key of an unschedulable pod to the node it is
	// nominated to and the lower-priority pods to delete there (preempt.go).
	Preemptions map[string]Preemption
}

// Failure says why a pod fits on no node.
type Failure struct {
	// NodeReasons maps each node name to the reasons it refused the pod.
	NodeReasons map[string][]string
	// Message is the summary for the pod's PodScheduled condition, e.g.
	// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were not ready."
	Message string
}

// Condition values for a pod the scheduler could not place, as Kubernetes.
const ReasonPodUnschedulable = corev1.PodReasonUnschedulable

// Scheduler holds the plugin chain. The zero value is not usable; use New.
type Scheduler struct {
	Filters []FilterPlugin
	Scores  []ScorePlugin
	// NamespaceLabels are the labels of the cluster's namespaces, for pod
	// affinity terms with a namespaceSelector; nil: no labels but
	// kubernetes.io/metadata.name.
	NamespaceLabels map[string]map[string]string
	// DefaultSpreadSelector, when set, gives a pod without
	// topologySpreadConstraints Kubernetes' system default ones (scored
	// only), counting the pods its selector returns: the pods of the
	// Services, ReplicaSets and StatefulSets that select it
	// (DefaultSpreadSelector in spread_defaults.go builds it). nil or an
	// empty selector: none.
	DefaultSpreadSelector func(*corev1.Pod) labels.Selector
	// PodDisruptionBudgets of the cluster, with their status: preemption
	// prefers victims whose deletion keeps every budget (preempt.go).
	PodDisruptionBudgets []*policyv1.PodDisruptionBudget
	// PercentageOfNodesToScore is Kubernetes' setting of that name: the
	// share of the nodes (1–100) whose filters must pass before a pod
	// stops looking for more feasible nodes, at least 100 nodes; 0 (the
	// default) is Kubernetes' adaptive share, 50 % less 1 % per 125
	// nodes, never below 5 %.
	PercentageOfNodesToScore int32
	// Parallelism is Kubernetes' setting of that name: how many
	// goroutines filter and score the nodes for one pod (parallel.go);
	// 0 or 1: the scheduling goroutine alone.
	Parallelism int
	// Assume keeps ScheduleOn's placements counted on the snapshot as
	// assumed pods (assume.go) until their bindings come back or are
	// forgotten, so the next call may run before they are written;
	// false: they are taken back when ScheduleOn returns.
	Assume bool
}

// New returns a scheduler with the default plugins.
func New() *Scheduler { return &Scheduler{Filters: DefaultFilters(), Scores: DefaultScores()} }

// Schedule places pending pods with the default plugins.
func Schedule(pending []*corev1.Pod, nodes []*corev1.Node, bound []*corev1.Pod) Result {
	return New().Schedule(pending, nodes, bound)
}

// PodKey is the key Result uses for a pod: "namespace/name".
func PodKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

// Schedule places pending pods (spec.nodeName empty) on nodes, given the
// pods already bound. Pods are placed highest priority first, then oldest
// first (then by key), so the
// result is deterministic; each placement counts against its node for the
// pods placed after it. Pending pods that already have a node are ignored.
func (s *Scheduler) Schedule(pending []*corev1.Pod, nodes []*corev1.Node, bound []*corev1.Pod) Result {
	return s.ScheduleOn(NewSnapshot(nodes, bound), pending)
}

// ScheduleOn is Schedule on a Snapshot kept across calls (snapshot.go):
// the node infos are the snapshot's, and the placements of this call are
// taken off them again before it returns (they count once the bindings
// come back as pod changes).
func (s *Scheduler) ScheduleOn(snap *Snapshot, pending []*corev1.Pod) Result {
	res := Result{Bindings: map[string]string{}, Unschedulable: map[string]Failure{}, Preemptions: map[string]Preemption{}}
	infos := snap.infosNow()
	if len(infos) > 0 && s.NamespaceLabels != nil {
		infos[0].cluster.SetNamespaceLabels(s.NamespaceLabels)
	}

	pods := make([]*PodInfo, 0, len(pending))
	for _, p := range pending {
		if p.Spec.NodeName != "" || isTerminal(p) {
			continue
		}
		pi := newPodInfo(p)
		if len(pi.spread) == 0 && s.DefaultSpreadSelector != nil {
			pi.spread = systemDefaultSpread(p, s.DefaultSpreadSelector(p))
		}
		pods = append(pods, pi)
	}
	sort.Slice(pods, func(i, j int) bool { return queueLess(pods[i].Pod, pods[j].Pod) })

	cy := &cycle{s: s, next: snap.next}
	var st *preemptionState // built on the first pod that fits nowhere
	var undo []placement
	defer func() { // also when a plugin panics: the snapshot outlives the call
		snap.next = cy.next
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i].takeBack()
		}
		if s.Assume {
			for _, pl := range undo {
				if !pl.nominated {
					snap.assume(pl.p, pl.n.Node.Name)
				}
			}
		}
	}()
	for _, p := range pods {
		best, failure := cy.place(p, infos)
		if best == nil {
			res.Unschedulable[PodKey(p.Pod)] = failure
			if st == nil {
				st = preemptionStateOf(infos)
			}
			if n := s.unplaced(p, infos, st, failure, &res); n != nil { // preempt.go
				undo = append(undo, placement{p, n, true})
			}
			continue
		}
		best.Requested.add(p.Requests)
		best.scored.add(p.scoring)
		best.cluster.addPod(p.Pod, p, best)
		best.UsedPorts.add(p.hostPorts)
		undo = append(undo, placement{p, best, false})
		res.Bindings[PodKey(p.Pod)] = best.Node.Name
		if st != nil {
			st.bind(p.Pod, best.Node.Name)
		}
	}
	return res
}

// placement is one pod counted on a node during a Schedule call: bound
// there, or only holding its requests on the node it is nominated to.
type placement struct {
	p         *PodInfo
	n         *NodeInfo
	nominated bool
}

func (pl placement) takeBack() {
	pl.n.Requested.sub(pl.p.Requests)
	pl.n.scored.sub(pl.p.scoring)
	if !pl.nominated {
		pl.n.cluster.removePodAs(pl.p.Pod, pl.p.classKey, pl.n)
		pl.n.UsedPorts.remove(pl.p.hostPorts)
	}
}

// cycle is one Schedule call's scratch space, reused from pod to pod.
type cycle struct {
	s        *Scheduler
	next     int // where the next search for feasible nodes starts
	feasible []*NodeInfo
	ok       []bool // findFeasible's verdicts of one chunk
	raw      []int64
	total    []int64
}

// Kubernetes stops looking once it found enough feasible nodes in a large
// cluster (percentageOfNodesToScore, adaptive by default): at least 100
// nodes, pct % of them, adaptive when pct is 0 (50 % less 1 % per 125
// nodes, never below 5 %); the next pod's search starts where this one
// stopped, so every node gets its turn.
func numFeasibleNodesToFind(all int, pct int32) int {
	const minFeasible = 100
	if all < minFeasible || pct >= 100 {
		return all
	}
	p := int(pct)
	if p <= 0 {
		p = max(50-all/125, 5)
	}
	return max(all*p/100, minFeasible)
}

// place returns the best feasible node, or nil and the reasons.
func (cy *cycle) place(p *PodInfo, infos []*NodeInfo) (*NodeInfo, Failure) {
	s := cy.s
	if len(infos) == 0 {
		return nil, Failure{Message: FailureMessage(0, nil)}
	}
	s.preFilter(p, infos[0].cluster)
	want := numFeasibleNodesToFind(len(infos), s.PercentageOfNodesToScore)
	processed := cy.findFeasible(p, infos, want, s.Parallelism)
	cy.next = (cy.next + processed) % len(infos)
	if len(cy.feasible) == 0 {
		// Every node refused: ask them again for the reasons (only a pod
		// that fits nowhere pays for recording them).
		reasons := make(map[string][]string, len(infos))
		for _, n := range infos {
			reasons[n.Node.Name] = s.filter(p, n)
		}
		return nil, Failure{NodeReasons: reasons, Message: FailureMessage(len(infos), reasons)}
	}
	if len(cy.feasible) == 1 || len(s.Scores) == 0 {
		return cy.feasible[0], Failure{}
	}
	return cy.best(p), Failure{}
}

// best scores the feasible nodes with every score plugin, normalises and
// weighs the scores as Kubernetes does, and returns the highest; a tie goes
// to the node found first.
func (cy *cycle) best(p *PodInfo) *NodeInfo {
	c := cy.feasible[0].cluster
	cy.total = resize(cy.total, len(cy.feasible))
	clear(cy.total)
	for _, sp := range cy.s.Scores {
		if ps, ok := sp.(PreScorePlugin); ok && !ps.PreScore(p, c, cy.feasible) {
			continue
		}
		cy.raw = resize(cy.raw, len(cy.feasible))
		cy.scoreAll(sp, p, cy.s.Parallelism)
		if nz, ok := sp.(Normalizer); ok {
			nz.Normalize(p, cy.feasible, cy.raw)
		}
		w := int64(1)
		if wp, ok := sp.(Weighted); ok {
			w = wp.Weight()
		}
		for i, v := range cy.raw {
			cy.total[i] += w * v
		}
	}
	best := 0
	for i, v := range cy.total {
		if v > cy.total[best] {
			best = i
		}
	}
	return cy.feasible[best]
}

func resize(b []int64, n int) []int64 {
	if cap(b) < n {
		return make([]int64, n)
	}
	return b[:n]
}

// preFilter runs the PreFilter plugins for p against the cluster as it is.
func (s *Scheduler) preFilter(p *PodInfo, c *Cluster) {
	p.prefiltered, p.skipFilter = true, 0
	if c == nil {
		return
	}
	for i, f := range s.Filters {
		if pf, ok := f.(PreFilterPlugin); ok && !pf.PreFilter(p, c) && i < 64 {
			p.skipFilter |= 1 << i
		}
	}
}

// filter runs the filters in order and returns the first rejection's
// reasons; nil when the node is feasible. It prefilters p first if that
// has not been done (or was Reset).
func (s *Scheduler) filter(p *PodInfo, n *NodeInfo) []string {
	if !p.prefiltered {
		s.preFilter(p, n.cluster)
	}
	for i, f := range s.Filters {
		if i < 64 && p.skipFilter&(1<<i) != 0 {
			continue
		}
		if r := f.Filter(p, n); len(r) > 0 {
			return r
		}
	}
	return nil
}

// FailureMessage renders Kubernetes' summary: how many nodes gave each
// reason, reasons sorted, e.g.
// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were not ready."
func FailureMessage(total int, nodeReasons map[string][]string) string {
	if total == 0 {
		return "no nodes available to schedule pods: no node has registered yet; start an agent (reconcile agent) on a host"
	}
	counts := map[string]int{}
	for _, rs := range nodeReasons {
		for _, r := range rs {
			counts[r]++
		}
	}
	parts := make([]string, 0, len(counts))
	for r, c := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", c, r))
	}
	slices.Sort(parts)
	return fmt.Sprintf("0/%d nodes are available: %s.", total, strings.Join(parts, ", "))
}

func newPodInfo(p *corev1.Pod) *PodInfo {
	pi := &PodInfo{Pod: p, Requests: PodRequests(p), scoring: scoringRequests(p), hostPorts: podHostPorts(p)}
	if len(p.Spec.NodeSelector) > 0 {
		pi.selector = labels.SelectorFromSet(p.Spec.NodeSelector)
	}
	pi.requiredNode = newRequiredNodeAffinity(p)
	pi.preferredNode = newPreferredNodeTerms(p)
	pi.terms = newPodTerms(p)
	pi.spread = newSpreadConstraints(p, pi.requiredNode)
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			pi.images = append(pi.images, normalizedImageName(cs[i].Image))
		}
	}
	pi.classKey = classKey(p)
	return pi
}

// newNodeInfos builds the per-node accounting of nodes and bound pods
// (a Snapshot's), sorted by node name.
func newNodeInfos(nodes []*corev1.Node, bound []*corev1.Pod) []*NodeInfo {
	return NewSnapshot(nodes, bound).infos
}

// NodeIsReady reports whether the node's Ready condition is True.
func NodeIsReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func isTerminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}
