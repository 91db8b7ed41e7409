package scheduler

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Result is the outcome of one Schedule call.
type Result struct {
	// Bindings maps a pod key ("namespace/name") to the node it goes to.
	Bindings map[string]string
	// Unschedulable maps a pod key to why no node took it.
	Unschedulable map[string]Failure
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
// pods already bound. Pods are placed oldest first (then by key), so the
// result is deterministic; each placement counts against its node for the
// pods placed after it. Pending pods that already have a node are ignored.
func (s *Scheduler) Schedule(pending []*corev1.Pod, nodes []*corev1.Node, bound []*corev1.Pod) Result {
	res := Result{Bindings: map[string]string{}, Unschedulable: map[string]Failure{}}
	infos := newNodeInfos(nodes, bound)

	pods := make([]*PodInfo, 0, len(pending))
	for _, p := range pending {
		if p.Spec.NodeName != "" || isTerminal(p) {
			continue
		}
		pods = append(pods, newPodInfo(p))
	}
	sort.Slice(pods, func(i, j int) bool {
		a, b := pods[i].Pod, pods[j].Pod
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return PodKey(a) < PodKey(b)
	})

	for _, p := range pods {
		best, failure := s.place(p, infos)
		if best == nil {
			res.Unschedulable[PodKey(p.Pod)] = failure
			continue
		}
		best.Requested.add(p.Requests)
		best.scored.add(p.scoring)
		best.UsedPorts.add(p.hostPorts)
		res.Bindings[PodKey(p.Pod)] = best.Node.Name
	}
	return res
}

// place returns the best feasible node, or nil and the reasons.
func (s *Scheduler) place(p *PodInfo, infos []*NodeInfo) (*NodeInfo, Failure) {
	var best *NodeInfo
	var bestScore int64 = -1
	var reasons map[string][]string
	for _, n := range infos {
		if r := s.filter(p, n); len(r) > 0 {
			if reasons == nil {
				reasons = map[string][]string{}
			}
			reasons[n.Node.Name] = r
			continue
		}
		var score int64
		for _, sp := range s.Scores {
			score += sp.Score(p, n)
		}
		// infos are sorted by name, so ">" keeps the first name on a tie.
		if score > bestScore {
			best, bestScore = n, score
		}
	}
	if best != nil {
		return best, Failure{}
	}
	return nil, Failure{NodeReasons: reasons, Message: FailureMessage(len(infos), reasons)}
}

func (s *Scheduler) filter(p *PodInfo, n *NodeInfo) []string {
	for _, f := range s.Filters {
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
	return pi
}

// newNodeInfos builds the per-node accounting, sorted by node name so ties
// in score go to the first name.
func newNodeInfos(nodes []*corev1.Node, bound []*corev1.Pod) []*NodeInfo {
	infos := make([]*NodeInfo, 0, len(nodes))
	byName := make(map[string]*NodeInfo, len(nodes))
	for _, n := range nodes {
		ni := &NodeInfo{Node: n, Allocatable: NodeAllocatable(n), ready: NodeIsReady(n)}
		infos = append(infos, ni)
		byName[n.Name] = ni
	}
	for _, p := range bound {
		if p.Spec.NodeName == "" || isTerminal(p) {
			continue
		}
		if ni := byName[p.Spec.NodeName]; ni != nil {
			ni.Requested.add(PodRequests(p))
			ni.scored.add(scoringRequests(p))
			ni.UsedPorts.add(podHostPorts(p))
		}
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Node.Name < infos[j].Node.Name })
	return infos
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
