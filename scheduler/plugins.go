package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// PodInfo is a pending pod with what the plugins need precomputed once.
type PodInfo struct {
	Pod      *corev1.Pod
	Requests Resources // for filtering: the real requests
	scoring  Resources // for scoring: with non-zero defaults
	selector labels.Selector

	requiredNode  *requiredNodeAffinity // nodeSelector + required node affinity
	preferredNode []preferredNodeTerm
	terms         *podTerms // pod (anti-)affinity; nil when none
	spread        []spreadConstraint
	images        []string // normalised names of all containers' images
	classKey      string

	// Per-pod state the PreFilter/PreScore plugins compute against the
	// cluster as it is when the pod is placed (Kubernetes' CycleState).
	prefiltered bool
	skipFilter  uint64 // bit i: Filters[i] skipped by its PreFilter
	interPod    interPodState
	spreadState spreadState
	scoreState  podScoreState
	// hostPorts the pod takes on its node (nodeports.go).
	hostPorts []hostPort
}

// Reset drops the state computed for the pod against the cluster, so the
// next filter recomputes it (after the cluster changed under a pod that
// is being placed, e.g. by preemption's simulation).
func (p *PodInfo) Reset() { p.prefiltered = false }

// NodeInfo is a node with the resources already taken on it. Requested
// grows as Schedule binds pods within one call.
type NodeInfo struct {
	Node        *corev1.Node
	Allocatable Resources
	Requested   Resources // real requests of bound pods
	scored      Resources // scoring requests of bound pods
	ready       bool
	// unschedulable and taints are the node's spec.unschedulable and
	// spec.taints, copied in so the filters read them without touching
	// the Node (at 5,000 nodes that memory access was most of
	// NodeUnschedulable's cost).
	unschedulable bool
	taints        []corev1.Taint
	// Pods are the pods bound to the node, including those bound earlier
	// in this Schedule call.
	Pods    []*corev1.Pod
	idx     int32 // index in Cluster.nodes
	cluster *Cluster
	// UsedPorts are the host ports of its pods (nodeports.go).
	UsedPorts HostPorts
}

// newNodeInfo is a NodeInfo for n with nothing requested on it yet.
func newNodeInfo(n *corev1.Node) *NodeInfo {
	return &NodeInfo{Node: n, Allocatable: NodeAllocatable(n), ready: NodeIsReady(n), unschedulable: n.Spec.Unschedulable, taints: n.Spec.Taints}
}

// FilterPlugin rejects nodes a pod cannot run on. Filter returns "" when
// the node is feasible, otherwise one or more reasons in Kubernetes' words
// ("Insufficient cpu"); the unschedulable message counts nodes per reason.
type FilterPlugin interface {
	Name() string
	Filter(pod *PodInfo, node *NodeInfo) []string
}

// ScorePlugin ranks feasible nodes: higher is better. A plugin's score is
// 0..100, or any raw number when it is also a Normalizer.
type ScorePlugin interface {
	Name() string
	Score(pod *PodInfo, node *NodeInfo) int64
}

// PreFilterPlugin computes, once per pod, what its Filter needs from the
// whole cluster (Kubernetes' PreFilter), storing it in the PodInfo. It
// returns false when the pod gives the filter nothing to check
// (Kubernetes' Skip): the filter then is not called for this pod.
type PreFilterPlugin interface {
	PreFilter(pod *PodInfo, c *Cluster) bool
}

// PreScorePlugin computes, once per pod, what its Score needs from the
// feasible nodes (Kubernetes' PreScore). It returns false when the plugin
// has nothing to say about this pod (Kubernetes' Skip): every node then
// scores 0 without Score being called.
type PreScorePlugin interface {
	PreScore(pod *PodInfo, c *Cluster, feasible []*NodeInfo) bool
}

// Normalizer is a ScorePlugin whose raw scores only mean something
// relative to each other: Normalize rescales the scores of the feasible
// nodes, in place, to 0..100 (Kubernetes' NormalizeScore).
type Normalizer interface {
	Normalize(pod *PodInfo, nodes []*NodeInfo, scores []int64)
}

// Weighted is a ScorePlugin whose score counts Weight times in the sum
// (Kubernetes' plugin weights); others count once.
type Weighted interface {
	Weight() int64
}

// DefaultFilters are the filters in the order they run: cheap checks first.
func DefaultFilters() []FilterPlugin {
	return []FilterPlugin{NodeReady{}, NodeUnschedulable{}, NodeAffinity{}, TaintToleration{}, ResourceFit{}, NodePorts{}, PodTopologySpread{}, InterPodAffinity{}}
}

// DefaultScores are the score plugins of Kubernetes' default profile, each
// with its default weight; the weighted scores are summed.
func DefaultScores() []ScorePlugin {
	return []ScorePlugin{
		TaintToleration{},   // weight 3
		NodeAffinity{},      // 2
		PodTopologySpread{}, // 2
		InterPodAffinity{},  // 2
		LeastAllocated{},    // 1 (NodeResourcesFit)
		BalancedAllocation{},
		ImageLocality{},
	}
}

// Reasons, worded as the Kubernetes scheduler words them.
const (
	ReasonNotReady      = "node(s) were not ready"
	ReasonUnschedulable = "node(s) were unschedulable"
	ReasonNodeSelector  = "node(s) didn't match Pod's node affinity/selector"
	ReasonTooManyPods   = "Too many pods"
)

// NodeReady rejects nodes whose Ready condition is not True: a node that
// stopped heartbeating (Ready=Unknown) or reports itself NotReady.
type NodeReady struct{}

func (NodeReady) Name() string { return "NodeReady" }
func (NodeReady) Filter(_ *PodInfo, n *NodeInfo) []string {
	if !n.ready {
		return []string{ReasonNotReady}
	}
	return nil
}

// NodeUnschedulable rejects cordoned nodes (spec.unschedulable), unless the
// pod tolerates Kubernetes' unschedulable taint.
type NodeUnschedulable struct{}

var unschedulableTaint = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}

func (NodeUnschedulable) Name() string { return "NodeUnschedulable" }
func (NodeUnschedulable) Filter(p *PodInfo, n *NodeInfo) []string {
	if n.unschedulable && !tolerates(p.Pod.Spec.Tolerations, &unschedulableTaint) {
		return []string{ReasonUnschedulable}
	}
	return nil
}

// NodeSelector rejects nodes whose labels do not match spec.nodeSelector.
type NodeSelector struct{}

func (NodeSelector) Name() string { return "NodeSelector" }
func (NodeSelector) Filter(p *PodInfo, n *NodeInfo) []string {
	if p.selector != nil && !p.selector.Matches(labels.Set(n.Node.Labels)) {
		return []string{ReasonNodeSelector}
	}
	return nil
}

// TaintToleration rejects nodes with a NoSchedule or NoExecute taint the pod
// does not tolerate (PreferNoSchedule only matters to scoring).
type TaintToleration struct{}

func (TaintToleration) Name() string { return "TaintToleration" }
func (TaintToleration) Filter(p *PodInfo, n *NodeInfo) []string {
	for i := range n.taints {
		t := &n.taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !tolerates(p.Pod.Spec.Tolerations, t) {
			return []string{fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)}
		}
	}
	return nil
}

func tolerates(tols []corev1.Toleration, t *corev1.Taint) bool {
	for i := range tols {
		if tols[i].ToleratesTaint(t) {
			return true
		}
	}
	return false
}

// ResourceFit rejects nodes without room for the pod's requests. Like
// Kubernetes it reports every resource that is short, so one node can count
// towards several reasons.
type ResourceFit struct{}

func (ResourceFit) Name() string { return "NodeResourcesFit" }
func (ResourceFit) Filter(p *PodInfo, n *NodeInfo) []string {
	var out []string
	if n.Requested.Pods+1 > n.Allocatable.Pods {
		out = append(out, ReasonTooManyPods)
	}
	if r := p.Requests.MilliCPU; r > 0 && n.Requested.MilliCPU+r > n.Allocatable.MilliCPU {
		out = append(out, "Insufficient cpu")
	}
	if r := p.Requests.Memory; r > 0 && n.Requested.Memory+r > n.Allocatable.Memory {
		out = append(out, "Insufficient memory")
	}
	return out
}

// LeastAllocated prefers the node that would have the largest share of cpu
// and memory left after placing the pod (both weighted equally), which
// spreads pods across nodes.
type LeastAllocated struct{}

func (LeastAllocated) Name() string { return "NodeResourcesLeastAllocated" }
func (LeastAllocated) Score(p *PodInfo, n *NodeInfo) int64 {
	cpu := leastAllocated(n.scored.MilliCPU+p.scoring.MilliCPU, n.Allocatable.MilliCPU)
	mem := leastAllocated(n.scored.Memory+p.scoring.Memory, n.Allocatable.Memory)
	return (cpu + mem) / 2
}

func leastAllocated(requested, capacity int64) int64 {
	if capacity <= 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * 100 / capacity
}
