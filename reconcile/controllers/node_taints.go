package controllers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The taints the node controller owns on spec.taints, as Kubernetes' node
// lifecycle controller writes them: NoSchedule ones follow the node's
// condition and cordon at once (the scheduler keeps new pods off), NoExecute
// ones start the eviction clock of the pods on the node (TaintEvictions).
var (
	taintNotReadyNoExecute    = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
	taintUnreachableNoExecute = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	taintNotReadyNoSchedule   = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}
	taintUnreachNoSchedule    = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule}
	taintUnschedulable        = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
)

// ownedTaint reports whether the node controller manages t.
func ownedTaint(t corev1.Taint) bool {
	for _, o := range []corev1.Taint{taintNotReadyNoExecute, taintUnreachableNoExecute, taintNotReadyNoSchedule, taintUnreachNoSchedule, taintUnschedulable} {
		if t.MatchTaint(&o) {
			return true
		}
	}
	return false
}

// conditionTaints are the taints a node's Ready condition calls for:
// Ready=False is not-ready, Ready=Unknown (missed heartbeats) unreachable, a
// Ready node or one that never reported none.
func conditionTaints(n *corev1.Node) (noSchedule, noExecute *corev1.Taint) {
	c := nodeReady(n)
	switch {
	case c == nil || c.Status == corev1.ConditionTrue:
		return nil, nil
	case c.Status == corev1.ConditionFalse:
		return &taintNotReadyNoSchedule, &taintNotReadyNoExecute
	default:
		return &taintUnreachNoSchedule, &taintUnreachableNoExecute
	}
}

// NodeTaints returns the nodes whose spec.taints must change, each a copy
// with its new taints, and how long until a held-back taint may be added
// (0: none is held back). It is Kubernetes' node lifecycle controller over
// taints:
//
//   - spec.unschedulable (reconcile cordon) gets node.kubernetes.io/
//     unschedulable:NoSchedule; Ready=False gets node.kubernetes.io/
//     not-ready:NoSchedule and :NoExecute, Ready=Unknown node.kubernetes.io/
//     unreachable:NoSchedule and :NoExecute; a Ready node loses them.
//   - A NoExecute taint carries timeAdded = now: the pods' tolerationSeconds
//     count from it (TaintEvictions). Swapping not-ready for unreachable (or
//     back) is immediate, with a new timeAdded.
//   - New NoExecute taints are rate-limited per zone (NodeLifecycle.
//     EvictionInterval apart, judged from the timeAdded of the taints
//     already there, so the limit survives restarts), slower or not at all
//     in a partially disrupted zone.
//   - When no node at all is Ready (FullDisruption) every NoExecute taint
//     the controller owns is removed: nothing is evicted, and when nodes
//     come back their clocks start again.
func NodeTaints(nodes []*corev1.Node, cfg NodeLifecycle, now time.Time) (updates []*corev1.Node, wait time.Duration) {
	cfg = cfg.WithDefaults()
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	states, sizes := ZoneStates(nodes)
	full := FullDisruption(nodes)
	lastAdded := map[string]time.Time{} // per zone: the newest NoExecute taint of ours
	for _, n := range nodes {
		for _, t := range n.Spec.Taints {
			if t.Effect == corev1.TaintEffectNoExecute && ownedTaint(t) && t.TimeAdded != nil && t.TimeAdded.After(lastAdded[zoneOf(n)]) {
				lastAdded[zoneOf(n)] = t.TimeAdded.Time
			}
		}
	}
	for _, n := range nodes {
		zone := zoneOf(n)
		noSchedule, noExecute := conditionTaints(n)
		if full {
			noExecute = nil
		}
		var want []corev1.Taint
		for _, t := range n.Spec.Taints {
			if !ownedTaint(t) {
				want = append(want, t)
			}
		}
		if n.Spec.Unschedulable {
			want = append(want, taintUnschedulable)
		}
		if noSchedule != nil {
			want = append(want, *noSchedule)
		}
		if noExecute != nil {
			switch have := findTaint(n.Spec.Taints, noExecute); {
			case have != nil:
				want = append(want, *have) // keep its timeAdded
			case hasOwnedNoExecute(n.Spec.Taints):
				want = append(want, stamped(*noExecute, now)) // swap: not rate-limited
			default:
				interval := zoneEvictionInterval(cfg, states[zone], sizes[zone])
				due := lastAdded[zone].Add(interval)
				switch {
				case interval == 0:
					// a small zone in partial disruption: no new NoExecute taints
				case !lastAdded[zone].IsZero() && now.Before(due):
					if d := due.Sub(now); wait == 0 || d < wait {
						wait = d
					}
				default:
					want = append(want, stamped(*noExecute, now))
					lastAdded[zone] = now
				}
			}
		}
		if !sameTaints(n.Spec.Taints, want) {
			c := n.DeepCopy()
			objects.SetTypeMeta(c, "Node")
			c.Spec.Taints = want
			updates = append(updates, c)
		}
	}
	return updates, wait
}

// zoneEvictionInterval is how far apart nodes of a zone in state get new
// NoExecute taints; 0 means none are added.
func zoneEvictionInterval(cfg NodeLifecycle, state ZoneState, size int) time.Duration {
	if state != ZonePartialDisruption {
		return cfg.EvictionInterval
	}
	if size <= largeClusterSizeNodes {
		return 0
	}
	return secondaryIntervalFactor * cfg.EvictionInterval
}

func stamped(t corev1.Taint, now time.Time) corev1.Taint {
	at := metav1.NewTime(now.UTC().Truncate(time.Second))
	t.TimeAdded = &at
	return t
}

func findTaint(taints []corev1.Taint, t *corev1.Taint) *corev1.Taint {
	for i := range taints {
		if taints[i].MatchTaint(t) {
			return &taints[i]
		}
	}
	return nil
}

func hasOwnedNoExecute(taints []corev1.Taint) bool {
	return findTaint(taints, &taintNotReadyNoExecute) != nil || findTaint(taints, &taintUnreachableNoExecute) != nil
}

// sameTaints compares as sets of key, value, effect and timeAdded (the
// order is the controller's own; nil and empty are the same).
func sameTaints(a, b []corev1.Taint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		t := findTaint(b, &a[i])
		if t == nil || t.Value != a[i].Value || !t.TimeAdded.Equal(a[i].TimeAdded) {
			return false
		}
	}
	return true
}

// nodeTaintsStep is the #taints built-in: it writes NodeTaints' updates
// (spec changes, carrying the resourceVersion they were read at) and runs
// again when a held-back taint is due.
func nodeTaintsStep(in Inputs, _ objects.Key, _ objects.Object) Changes {
	var ch Changes
	updates, wait := NodeTaints(in.cache.nodes(), in.Lifecycle, in.Now)
	for _, n := range updates {
		ch.Update = append(ch.Update, n)
	}
	ch.requeueAfter(wait)
	return ch
}

// onNodeLifecycleChange maps a Node event to k only when it changes what
// the node steps decide on: the node went, came needing a taint, or
// changed its Ready status, its cordon, its taints or its zone. A status
// post that changes none of them queues nothing, nor does a node that
// registers Ready, schedulable and untainted: the steps run over every
// node, so 5,000 nodes joining would run them 5,000 times; the zone
// states such a node changes are read at the next resync (10 s), as
// Kubernetes' node lifecycle controller reads new nodes at its next
// monitor period.
func onNodeLifecycleChange(k objects.Key) MapFunc {
	return func(_ *cache, old, cur objects.Object) []objects.Key {
		o, _ := old.(*corev1.Node)
		n, _ := cur.(*corev1.Node)
		switch {
		case o == nil && n != nil && cleanAndReady(n):
			return nil
		case o == nil || n == nil || lifecycleState(o) != lifecycleState(n):
			return []objects.Key{k}
		}
		return nil
	}
}

// cleanAndReady: Ready=True, not cordoned, no taints: nothing for the
// taint and eviction steps to do about this node alone.
func cleanAndReady(n *corev1.Node) bool {
	c := nodeReady(n)
	return c != nil && c.Status == corev1.ConditionTrue && !n.Spec.Unschedulable && len(n.Spec.Taints) == 0
}

// lifecycleState is what the node steps read of a node, as a comparable
// string.
func lifecycleState(n *corev1.Node) string {
	var ready corev1.ConditionStatus
	if c := nodeReady(n); c != nil {
		ready = c.Status
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%v|%s|", ready, n.Spec.Unschedulable, zoneOf(n))
	for _, t := range n.Spec.Taints {
		var added int64
		if t.TimeAdded != nil {
			added = t.TimeAdded.Unix()
		}
		fmt.Fprintf(&b, "%s=%s:%s@%d;", t.Key, t.Value, t.Effect, added)
	}
	return b.String()
}
