package controllers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// NodeLifecycle holds the node controller's timings (Options.NodeLifecycle;
// the controller's --node-monitor-grace-period and
// --default-toleration-seconds). The zero value gives Kubernetes' defaults.
type NodeLifecycle struct {
	// MonitorGracePeriod: a node whose agent has not posted status for
	// this long is marked Ready=Unknown (default 40 s, kube-controller-
	// manager's --node-monitor-grace-period).
	MonitorGracePeriod time.Duration
	// DefaultTolerationSeconds is how long a pod that sets no toleration
	// of its own stays on a not-ready or unreachable node (default 300,
	// the DefaultTolerationSeconds admission plugin's
	// --default-not-ready-toleration-seconds and
	// --default-unreachable-toleration-seconds).
	DefaultTolerationSeconds int64
	// EvictionInterval is how far apart, at least, two nodes of one zone
	// get a NoExecute taint (default 10 s: kube-controller-manager's
	// --node-eviction-rate 0.1 nodes per second). A zone in partial
	// disruption gets ten times longer when it is large, and no new
	// NoExecute taints when it is small (Kubernetes'
	// --secondary-node-eviction-rate 0.01 and
	// --large-cluster-size-threshold 50).
	EvictionInterval time.Duration
}

// Kubernetes' defaults of NodeLifecycle.
const (
	DefaultNodeMonitorGracePeriod       = 40 * time.Second
	DefaultTolerationSeconds      int64 = 300
	DefaultNodeEvictionInterval         = 10 * time.Second
)

// Zone disruption thresholds, Kubernetes' (--unhealthy-zone-threshold,
// --large-cluster-size-threshold): a zone is partially disrupted when more
// than two of its nodes and at least 55 % of them are not Ready; a zone of
// at most 50 nodes then gets no new NoExecute taints at all.
const (
	unhealthyZoneThreshold  = 0.55
	largeClusterSizeNodes   = 50
	secondaryIntervalFactor = 10
)

// WithDefaults fills the zero fields with Kubernetes' defaults.
func (l NodeLifecycle) WithDefaults() NodeLifecycle {
	if l.MonitorGracePeriod <= 0 {
		l.MonitorGracePeriod = DefaultNodeMonitorGracePeriod
	}
	if l.DefaultTolerationSeconds <= 0 {
		l.DefaultTolerationSeconds = DefaultTolerationSeconds
	}
	if l.EvictionInterval <= 0 {
		l.EvictionInterval = DefaultNodeEvictionInterval
	}
	return l
}

// ZoneState is a zone's health as Kubernetes' node lifecycle controller
// names it.
type ZoneState string

const (
	ZoneNormal            ZoneState = "Normal"
	ZonePartialDisruption ZoneState = "PartialDisruption"
	ZoneFullDisruption    ZoneState = "FullDisruption"
)

// zoneOf is a node's zone: the topology.kubernetes.io/zone label (its
// region prefixed, as Kubernetes' utilnode.GetZoneKey), "" when unlabelled.
func zoneOf(n *corev1.Node) string {
	zone := n.Labels[corev1.LabelTopologyZone]
	if zone == "" {
		return ""
	}
	return n.Labels[corev1.LabelTopologyRegion] + ":\x00:" + zone
}

// ZoneStates returns each zone's state and size: FullDisruption when none
// of its nodes is Ready, PartialDisruption when more than two and at least
// 55 % are not, Normal otherwise (Kubernetes' ComputeZoneState).
func ZoneStates(nodes []*corev1.Node) (states map[string]ZoneState, sizes map[string]int) {
	notReady := map[string]int{}
	sizes = map[string]int{}
	for _, n := range nodes {
		z := zoneOf(n)
		sizes[z]++
		if !nodeIsReady(n) {
			notReady[z]++
		}
	}
	states = map[string]ZoneState{}
	for z, size := range sizes {
		bad := notReady[z]
		switch {
		case bad == size:
			states[z] = ZoneFullDisruption
		case bad > 2 && float64(bad)/float64(size) >= unhealthyZoneThreshold:
			states[z] = ZonePartialDisruption
		default:
			states[z] = ZoneNormal
		}
	}
	return states, sizes
}

// FullDisruption reports whether every zone is fully disrupted: no node at
// all is Ready. The controller is then most likely the one cut off, so,
// as Kubernetes does, nothing is evicted and the NoExecute taints go.
func FullDisruption(nodes []*corev1.Node) bool {
	if len(nodes) == 0 {
		return false
	}
	for _, n := range nodes {
		if nodeIsReady(n) {
			return false
		}
	}
	return true
}

func nodeIsReady(n *corev1.Node) bool {
	c := nodeReady(n)
	return c != nil && c.Status == corev1.ConditionTrue
}
