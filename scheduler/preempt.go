package scheduler

import (
	"math"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/disruption"
	"github.com/reconcile-dev/reconcile/scheduler/priority"
)

// Preemption is Kubernetes' DefaultPreemption for one pending pod that
// fits nowhere: the node it is nominated to and the lower-priority pods to
// delete there so it fits. The pod stays pending (status.nominatedNodeName
// = Node) until the victims are gone; meanwhile its requests are held on
// Node against pods of lower or equal priority, and a later Schedule binds
// it.
type Preemption struct {
	Node    string
	Victims []*corev1.Pod
}

// preemptionState is what preemption needs beyond the node accounting:
// the pods on each node, and the victims chosen earlier in this call
// (already on their way out, never chosen twice).
type preemptionState struct {
	onNode  map[string][]*corev1.Pod
	victims map[*corev1.Pod]bool
	// lowest is the lowest priority of any pod on each node, and of all
	// (a lower bound: terminating pods and chosen victims included), so a
	// pod no higher than it skips the node, or preemption, unscanned: with
	// every pod at the same priority, an unschedulable pod costs nothing.
	lowest    map[string]int32
	lowestAll int32
}

func newPreemptionState(bound []*corev1.Pod) *preemptionState {
	st := &preemptionState{onNode: map[string][]*corev1.Pod{}, victims: map[*corev1.Pod]bool{},
		lowest: map[string]int32{}, lowestAll: math.MaxInt32}
	for _, p := range bound {
		if p.Spec.NodeName != "" && !isTerminal(p) {
			st.bind(p, p.Spec.NodeName)
		}
	}
	return st
}

// preemptionStateOf is the state of the pods the node infos hold (bound,
// and placed so far in this call).
func preemptionStateOf(infos []*NodeInfo) *preemptionState {
	st := newPreemptionState(nil)
	for _, n := range infos {
		for _, p := range n.Pods {
			st.bind(p, n.Node.Name)
		}
	}
	return st
}

// bind records a pod on node (bound, or placed in this call), a
// candidate victim of later preemptions.
func (st *preemptionState) bind(p *corev1.Pod, node string) {
	st.onNode[node] = append(st.onNode[node], p)
	prio := priority.Of(p)
	if low, ok := st.lowest[node]; !ok || prio < low {
		st.lowest[node] = prio
	}
	st.lowestAll = min(st.lowestAll, prio)
}

// eligibleToPreempt is Kubernetes' PodEligibleToPreemptOthers: never with
// preemptionPolicy Never, and not again while pods of lower priority are
// still terminating on the node it was nominated to (they are its earlier
// victims: it waits for them instead of preempting more).
func (st *preemptionState) eligibleToPreempt(p *corev1.Pod) bool {
	if !priority.MayPreempt(p) {
		return false
	}
	if node := p.Status.NominatedNodeName; node != "" {
		prio := priority.Of(p)
		for _, q := range st.onNode[node] {
			if q.DeletionTimestamp != nil && priority.Of(q) < prio {
				return false
			}
		}
	}
	return true
}

// resolvableByPreemption: only a node that refused the pod for room alone
// can take it once pods are removed; a node that does not match, is
// tainted, cordoned or not ready cannot (Kubernetes'
// UnschedulableAndUnresolvable).
func resolvableByPreemption(reasons []string) bool {
	for _, r := range reasons {
		if r != ReasonTooManyPods && !strings.HasPrefix(r, "Insufficient ") {
			return false
		}
	}
	return len(reasons) > 0
}

// preempt finds the node where deleting the fewest and least important
// lower-priority pods lets p fit, as Kubernetes' DefaultPreemption
// (SelectVictimsOnNode, pickOneNodeForPreemption), which avoids breaking
// PodDisruptionBudgets where it can but breaks them when it must, as
// Kubernetes does (they are a best effort for preemption). It reports false when
// no node would do.
func (s *Scheduler) preempt(p *PodInfo, infos []*NodeInfo, st *preemptionState, f Failure) (Preemption, bool) {
	prio := priority.Of(p.Pod)
	if prio <= st.lowestAll {
		return Preemption{}, false // no pod anywhere has a lower priority
	}
	var best *candidate
	for _, n := range infos {
		if low, ok := st.lowest[n.Node.Name]; !ok || prio <= low || !resolvableByPreemption(f.NodeReasons[n.Node.Name]) {
			continue
		}
		c, ok := s.selectVictimsOnNode(p, n, st)
		if ok && (best == nil || c.better(best)) {
			best = c
		}
	}
	if best == nil {
		return Preemption{}, false
	}
	for _, v := range best.victims {
		st.victims[v] = true
	}
	return Preemption{Node: best.node, Victims: best.victims}, true
}

// candidate is one node's minimal victim set.
type candidate struct {
	node    string
	victims []*corev1.Pod // most important first
	// pdbViolations counts the victims whose deletion breaks a
	// PodDisruptionBudget (Kubernetes' NumPDBViolations).
	pdbViolations int
}

// selectVictimsOnNode removes every pod of lower priority than p from a
// copy of the node; if p then fits, it reprieves them most important
// first, keeping each one p still fits beside. What is not reprieved is
// the victim set.
func (s *Scheduler) selectVictimsOnNode(p *PodInfo, n *NodeInfo, st *preemptionState) (*candidate, bool) {
	prio := priority.Of(p.Pod)
	var potential []*corev1.Pod
	for _, q := range st.onNode[n.Node.Name] {
		if q.DeletionTimestamp == nil && !st.victims[q] && priority.Of(q) < prio {
			potential = append(potential, q)
		}
	}
	if len(potential) == 0 {
		return nil, false
	}
	trial := *n
	for _, q := range potential {
		trial.Requested.sub(PodRequests(q))
		trial.scored.sub(scoringRequests(q))
	}
	if len(s.filter(p, &trial)) > 0 {
		return nil, false
	}
	slices.SortStableFunc(potential, moreImportant)
	c := &candidate{node: n.Node.Name}
	reprieve := func(q *corev1.Pod) bool {
		trial.Requested.add(PodRequests(q))
		trial.scored.add(scoringRequests(q))
		if len(s.filter(p, &trial)) == 0 {
			return true
		}
		trial.Requested.sub(PodRequests(q))
		trial.scored.sub(scoringRequests(q))
		c.victims = append(c.victims, q)
		return false
	}
	// Pods whose deletion would break a disruption budget are reprieved
	// first, then the others, each group most important first.
	violating, nonViolating := disruption.Violating(potential, s.PodDisruptionBudgets)
	for _, q := range violating {
		if !reprieve(q) {
			c.pdbViolations++
		}
	}
	for _, q := range nonViolating {
		reprieve(q)
	}
	if len(violating) > 0 && len(nonViolating) > 0 {
		slices.SortStableFunc(c.victims, moreImportant)
	}
	return c, len(c.victims) > 0
}

// moreImportant orders pods as Kubernetes' MoreImportantPod: higher
// priority first, then the one running longer; the name keeps it stable.
func moreImportant(a, b *corev1.Pod) int {
	if pa, pb := priority.Of(a), priority.Of(b); pa != pb {
		if pa > pb {
			return -1
		}
		return 1
	}
	if ta, tb := startTime(a), startTime(b); !ta.Equal(tb) {
		if ta.Before(tb) {
			return -1
		}
		return 1
	}
	return strings.Compare(PodKey(a), PodKey(b))
}

func startTime(p *corev1.Pod) time.Time {
	if p.Status.StartTime != nil {
		return p.Status.StartTime.Time
	}
	return p.CreationTimestamp.Time
}

// better is pickOneNodeForPreemption's order: the fewest victims whose
// deletion breaks a PodDisruptionBudget, then the lowest highest victim
// priority, then the smallest sum of victim priorities, then the fewest
// victims, then the node whose most important victims started latest;
// the first node by name on a full tie (candidates come sorted by name).
func (c *candidate) better(o *candidate) bool {
	if c.pdbViolations != o.pdbViolations {
		return c.pdbViolations < o.pdbViolations
	}
	if a, b := priority.Of(c.victims[0]), priority.Of(o.victims[0]); a != b {
		return a < b
	}
	if a, b := prioritySum(c.victims), prioritySum(o.victims); a != b {
		return a < b
	}
	if len(c.victims) != len(o.victims) {
		return len(c.victims) < len(o.victims)
	}
	if a, b := earliestTopStart(c.victims), earliestTopStart(o.victims); !a.Equal(b) {
		return a.After(b)
	}
	return false
}

// prioritySum adds the priorities shifted to be non-negative, as
// Kubernetes does, so a pod of negative priority still counts as a pod.
func prioritySum(pods []*corev1.Pod) int64 {
	var sum int64
	for _, p := range pods {
		sum += int64(priority.Of(p)) + int64(math.MaxInt32) + 1
	}
	return sum
}

// earliestTopStart is the earliest start among the victims of the highest
// priority (Kubernetes' GetEarliestPodStartTime).
func earliestTopStart(victims []*corev1.Pod) time.Time {
	top := priority.Of(victims[0])
	earliest := startTime(victims[0])
	for _, v := range victims[1:] {
		if priority.Of(v) == top && startTime(v).Before(earliest) {
			earliest = startTime(v)
		}
	}
	return earliest
}

func (r *Resources) sub(o Resources) {
	r.MilliCPU -= o.MilliCPU
	r.Memory -= o.Memory
	r.Pods -= o.Pods
}

// unplaced handles a pod that fits nowhere: it preempts if it may and some
// node would take it, and either way a pod nominated to a node holds its
// requests there, so the pods of lower or equal priority placed after it
// in this call (they come later in priority order) do not take the room
// its victims free (Kubernetes' nominated pods). It returns the node
// holding them, nil for none.
func (s *Scheduler) unplaced(p *PodInfo, infos []*NodeInfo, st *preemptionState, f Failure, res *Result) *NodeInfo {
	node := p.Pod.Status.NominatedNodeName
	if st.eligibleToPreempt(p.Pod) {
		if pr, ok := s.preempt(p, infos, st, f); ok {
			res.Preemptions[PodKey(p.Pod)] = pr
			node = pr.Node
		}
	}
	if node == "" {
		return nil
	}
	i := slices.IndexFunc(infos, func(n *NodeInfo) bool { return n.Node.Name == node })
	if i < 0 {
		return nil
	}
	infos[i].Requested.add(p.Requests)
	infos[i].scored.add(p.scoring)
	return infos[i]
}
