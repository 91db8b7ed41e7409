package scheduler

import (
	"maps"
	"reflect"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Snapshot is the cluster as the scheduler sees it, kept across Schedule
// calls and updated one change at a time, as kube-scheduler's cache and
// snapshot: the controllers feed it every node and pod change of their
// informer, so a scheduling pass no longer rebuilds 5,000 node infos and
// re-counts 150,000 bound pods. A bound pod's change touches its node's
// accounting (requests, pod classes, host ports); a node change that
// only moves heartbeats replaces the node object; one that changes what
// the plugins index (labels, allocatable, readiness, taints,
// schedulability, images) or the set of nodes marks the snapshot stale,
// and the next Schedule rebuilds the node infos from the nodes and pods
// it holds. It also keeps the pending pods (spec.nodeName empty, not
// terminating or finished), the scheduling queue's content.
//
// ScheduleOn places pods on it and takes its own placements off again
// before it returns: a placement counts only once the binding comes back
// as a pod change, so a binding that is never written (the pod was
// deleted meanwhile, the write failed) leaves no phantom requests (what
// kube-scheduler's assumed pods and their expiry are for).
//
// Not safe for concurrent use: the controllers' runner goroutine owns it.
type Snapshot struct {
	nodes   map[string]*corev1.Node
	bound   map[string]*boundPod // by PodKey
	pending map[string]*corev1.Pod
	infos   []*NodeInfo // sorted by node name
	byName  map[string]*NodeInfo
	stale   bool
	// assumed are placements whose binding is being written (assume.go);
	// round is what is left of the queue's current round (NextPending).
	assumed map[string]assumed
	round   []*corev1.Pod
	joined  []*corev1.Pod // queued since the round started
	// nominated are the keys of pending pods nominated to a node
	// (preemption); entries no longer pending or nominated are dropped
	// when NextPending meets them.
	nominated map[string]struct{}
	// freed: room may have appeared since the round started (a node
	// added or changed, a bound pod gone): the round's end starts the
	// next at once (NextPending), so the pods it tried early are retried.
	freed bool
	// next is where the next pod's search for feasible nodes starts
	// (Kubernetes' nextStartNodeIndex, kept across scheduling cycles).
	next int
	// Rebuilds counts full rebuilds of the node infos (tests, metrics).
	Rebuilds int
}

// boundPod is a bound pod with what it counts against its node.
type boundPod struct {
	pod       *corev1.Pod
	requests  Resources
	scoring   Resources
	hostPorts []hostPort
	classKey  string
}

func newBoundPod(p *corev1.Pod) *boundPod {
	return &boundPod{pod: p, requests: PodRequests(p), scoring: scoringRequests(p), hostPorts: podHostPorts(p), classKey: classKey(p)}
}

// sameAccounting reports whether b counts the same as o on the same node,
// so an update (a status change) only replaces the pod object.
func (b *boundPod) sameAccounting(o *boundPod) bool {
	return b.pod.Spec.NodeName == o.pod.Spec.NodeName && b.requests == o.requests && b.scoring == o.scoring &&
		b.classKey == o.classKey && slices.Equal(b.hostPorts, o.hostPorts)
}

// NewSnapshot holds nodes and pods (bound pods count on their nodes,
// pending ones are queued; finished ones are ignored), in the given order.
func NewSnapshot(nodes []*corev1.Node, pods []*corev1.Pod) *Snapshot {
	s := &Snapshot{nodes: make(map[string]*corev1.Node, len(nodes)), bound: map[string]*boundPod{}, pending: map[string]*corev1.Pod{}, stale: true}
	for _, n := range nodes {
		s.nodes[n.Name] = n
	}
	ordered := make([]*boundPod, 0, len(pods))
	for _, p := range pods {
		if b := s.track(p); b != nil {
			ordered = append(ordered, b)
		}
	}
	s.rebuild(nodes, ordered)
	return s
}

// track records p as pending or bound (returning its entry) without
// touching the node infos.
func (s *Snapshot) track(p *corev1.Pod) *boundPod {
	k := PodKey(p)
	switch {
	case isTerminal(p):
		delete(s.pending, k)
		delete(s.bound, k)
		return nil
	case p.Spec.NodeName == "":
		delete(s.bound, k)
		if p.DeletionTimestamp == nil {
			if _, queued := s.pending[k]; !queued && s.round != nil {
				s.joined = append(s.joined, p) // joins the round in progress (NextPending)
			}
			s.pending[k] = p
			if p.Status.NominatedNodeName != "" {
				if s.nominated == nil {
					s.nominated = map[string]struct{}{}
				}
				s.nominated[k] = struct{}{}
			}
		} else {
			delete(s.pending, k)
		}
		return nil
	}
	delete(s.pending, k)
	b := newBoundPod(p)
	s.bound[k] = b
	return b
}

// SetNode records a node added or changed.
func (s *Snapshot) SetNode(n *corev1.Node) {
	old := s.nodes[n.Name]
	s.nodes[n.Name] = n
	if old == nil || s.stale || indexedChange(old, n) {
		s.stale, s.freed = true, s.round != nil
		return
	}
	if ni := s.byName[n.Name]; ni != nil {
		ni.Node = n
	}
}

// DeleteNode records a node removed.
func (s *Snapshot) DeleteNode(name string) {
	if _, ok := s.nodes[name]; ok {
		delete(s.nodes, name)
		s.stale = true
	}
}

// indexedChange reports whether the node changed in what the node infos
// copy or index (everything else the plugins read through the Node).
func indexedChange(a, b *corev1.Node) bool {
	return !maps.Equal(a.Labels, b.Labels) || NodeIsReady(a) != NodeIsReady(b) || a.Spec.Unschedulable != b.Spec.Unschedulable ||
		NodeAllocatable(a) != NodeAllocatable(b) || !equality.Semantic.DeepEqual(a.Spec.Taints, b.Spec.Taints) ||
		!reflect.DeepEqual(a.Status.Images, b.Status.Images)
}

// SetPod records a pod added or changed: pending, bound (counted on its
// node) or finished (counted nowhere).
func (s *Snapshot) SetPod(p *corev1.Pod) {
	k := PodKey(p)
	if s.keepsAssumption(p) {
		return
	}
	old := s.bound[k]
	b := s.track(p)
	if s.stale {
		return
	}
	if old != nil && b != nil && old.sameAccounting(b) {
		if ni := s.byName[p.Spec.NodeName]; ni != nil {
			if i := slices.Index(ni.Pods, old.pod); i >= 0 {
				ni.Pods[i] = p
			}
		}
		return
	}
	if old != nil {
		s.uncount(old)
		s.freed = s.freed || s.round != nil
	}
	if b != nil {
		s.count(b)
	}
}

// DeletePod records a pod deleted.
func (s *Snapshot) DeletePod(p *corev1.Pod) {
	k := PodKey(p)
	delete(s.pending, k)
	delete(s.assumed, k)
	old := s.bound[k]
	if old == nil {
		return
	}
	delete(s.bound, k)
	s.freed = s.freed || s.round != nil
	if !s.stale {
		s.uncount(old)
	}
}

// Pending returns the pods waiting for a node, in no particular order
// (Schedule sorts them).
func (s *Snapshot) Pending() []*corev1.Pod { return slices.Collect(maps.Values(s.pending)) }

// count adds a bound pod to its node's accounting (a pod on a node the
// snapshot does not know counts once the node appears: that rebuilds).
func (s *Snapshot) count(b *boundPod) {
	ni := s.byName[b.pod.Spec.NodeName]
	if ni == nil {
		return
	}
	ni.Requested.add(b.requests)
	ni.scored.add(b.scoring)
	ni.cluster.addPodAs(b.pod, b.classKey, nil, ni)
	ni.UsedPorts.add(b.hostPorts)
}

func (s *Snapshot) uncount(b *boundPod) {
	ni := s.byName[b.pod.Spec.NodeName]
	if ni == nil {
		return
	}
	ni.Requested.sub(b.requests)
	ni.scored.sub(b.scoring)
	ni.cluster.removePodAs(b.pod, b.classKey, ni)
	ni.UsedPorts.remove(b.hostPorts)
	if c := ni.cluster; len(c.all) > 2*c.live+1000 {
		// Classes are kept (and memoised by selector) until a rebuild;
		// workloads that come and go leave empty ones behind.
		s.stale = true
	}
}

// infosNow returns the node infos, rebuilt first if stale.
func (s *Snapshot) infosNow() []*NodeInfo {
	if !s.stale {
		return s.infos
	}
	nodes := slices.Collect(maps.Values(s.nodes))
	pods := slices.Collect(maps.Values(s.bound))
	sort.Slice(pods, func(i, j int) bool { return PodKey(pods[i].pod) < PodKey(pods[j].pod) })
	s.rebuild(nodes, pods)
	return s.infos
}

// rebuild builds the per-node accounting, sorted by node name so ties in
// score go to the first name, and the Cluster they share; bound pods
// count in the order given.
func (s *Snapshot) rebuild(nodes []*corev1.Node, pods []*boundPod) {
	s.Rebuilds++
	c := &Cluster{classes: map[string]*podClass{}, imageOn: map[string][]imageAt{}}
	infos := make([]*NodeInfo, 0, len(nodes))
	for _, n := range nodes {
		ni := newNodeInfo(n)
		ni.cluster = c
		infos = append(infos, ni)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Node.Name < infos[j].Node.Name })
	byName := make(map[string]*NodeInfo, len(nodes))
	for i, ni := range infos {
		ni.idx = int32(i)
		byName[ni.Node.Name] = ni
		if slices.ContainsFunc(ni.taints, func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectPreferNoSchedule }) {
			c.preferNoSchedule++
		}
		seen := map[string]bool{}
		for _, img := range ni.Node.Status.Images {
			for _, name := range img.Names {
				if name = normalizedImageName(name); !seen[name] {
					seen[name] = true
					c.imageOn[name] = append(c.imageOn[name], imageAt{ni.idx, img.SizeBytes})
				}
			}
		}
	}
	c.nodes = infos
	s.infos, s.byName, s.stale = infos, byName, false
	if s.next >= len(infos) {
		s.next = 0
	}
	for _, b := range pods {
		s.count(b)
	}
}
