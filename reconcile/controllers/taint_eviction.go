package controllers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ReasonTaintManagerEviction is the Warning event on a pod evicted because
// its node has a NoExecute taint it does not tolerate (any longer), as
// Kubernetes' taint eviction controller words it.
const ReasonTaintManagerEviction = "TaintManagerEviction"

// WithDefaultTolerations returns the pod's tolerations plus those
// Kubernetes' DefaultTolerationSeconds admission plugin gives every pod
// that has none of its own: node.kubernetes.io/not-ready:NoExecute and
// node.kubernetes.io/unreachable:NoExecute for seconds. A toleration with
// an empty key or effect counts as the pod's own, as in the plugin.
//
// The node controller applies them when it decides, rather than writing
// them into pods at creation: a pod from git then shows no drift, and a
// changed --default-toleration-seconds applies to pods that exist.
func WithDefaultTolerations(tols []corev1.Toleration, seconds int64) []corev1.Toleration {
	has := func(key string) bool {
		return slices.ContainsFunc(tols, func(t corev1.Toleration) bool {
			return (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "")
		})
	}
	out := slices.Clone(tols)
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		if !has(key) {
			s := seconds
			out = append(out, corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &s})
		}
	}
	return out
}

// Eviction is one pod TaintEvictions removes, and why.
type Eviction struct {
	Pod     *corev1.Pod
	Message string
}

// TaintEvictions is Kubernetes' taint eviction controller: a pod on a node
// with NoExecute taints is evicted at once when it does not tolerate one
// of them, after the shortest tolerationSeconds of the tolerations it uses
// (counted from the newest of those taints' timeAdded, or from the pod's
// creation if it came later), and never when they tolerate forever (no
// tolerationSeconds: DaemonSet pods). Tolerations are the pod's own plus
// the defaults (WithDefaultTolerations with defaultSeconds). It returns the
// pods to evict now, in name order, and how long until the next one is due
// (0: none). When no node is Ready nothing is evicted (FullDisruption).
// PodDisruptionBudgets are not consulted, as in Kubernetes: a not-ready or
// unreachable node is an involuntary disruption, and its pods are lost
// whatever a budget says; only the eviction API (drain) and preemption
// weigh budgets.
func TaintEvictions(nodes []*corev1.Node, pods []*corev1.Pod, defaultSeconds int64, now time.Time) (out []Eviction, next time.Duration) {
	if FullDisruption(nodes) {
		return nil, 0
	}
	tainted := map[string][]corev1.Taint{}
	for _, n := range nodes {
		for _, t := range n.Spec.Taints {
			if t.Effect == corev1.TaintEffectNoExecute {
				tainted[n.Name] = append(tainted[n.Name], t)
			}
		}
	}
	if len(tainted) == 0 {
		return nil, 0 // the usual case: do not look at every pod
	}
	for _, p := range pods {
		taints := tainted[p.Spec.NodeName]
		if len(taints) == 0 {
			continue
		}
		due, why, ever := evictionDue(p, taints, defaultSeconds)
		switch {
		case !ever:
		case !due.After(now):
			out = append(out, Eviction{Pod: p, Message: why})
		case next == 0 || due.Sub(now) < next:
			next = due.Sub(now)
		}
	}
	slices.SortFunc(out, func(a, b Eviction) int {
		return strings.Compare(objects.KeyOf(a.Pod).String(), objects.KeyOf(b.Pod).String())
	})
	return out, next
}

// evictionDue is when pod p must leave a node with the NoExecute taints,
// with the reason; ever is false when it tolerates them forever.
func evictionDue(p *corev1.Pod, taints []corev1.Taint, defaultSeconds int64) (due time.Time, why string, ever bool) {
	tols := WithDefaultTolerations(p.Spec.Tolerations, defaultSeconds)
	var shortest *int64
	var start time.Time
	var names []string
	for i := range taints {
		t := &taints[i]
		names = append(names, t.ToString())
		j := slices.IndexFunc(tols, func(tol corev1.Toleration) bool { return tol.ToleratesTaint(t) })
		if j < 0 {
			return time.Time{}, fmt.Sprintf("node %s has taint %s, which the pod does not tolerate", p.Spec.NodeName, t.ToString()), true
		}
		if s := tols[j].TolerationSeconds; s != nil && (shortest == nil || *s < *shortest) {
			shortest = s
		}
		if t.TimeAdded != nil && t.TimeAdded.After(start) {
			start = t.TimeAdded.Time
		}
	}
	if shortest == nil {
		return time.Time{}, "", false
	}
	if c := p.CreationTimestamp.Time; c.After(start) {
		start = c
	}
	secs := max(*shortest, 0)
	return start.Add(time.Duration(secs) * time.Second),
		fmt.Sprintf("node %s has had taint %s for %ds, the pod's toleration", p.Spec.NodeName, strings.Join(names, ", "), secs), true
}

// evictionStep is the #evictions built-in (Kubernetes' taint eviction
// controller): it removes the pods TaintEvictions names, with a
// TaintManagerEviction event on each, so their controllers replace them on
// nodes that work, and runs again when the next eviction is due.
//
// The pods are force-deleted (Changes.ForceDelete, uid-checked): the agent
// of a node that is not Ready would never finalize a graceful deletion,
// and reconcile has no pod garbage collector that would remove them once
// the node is deleted. Kubernetes deletes them gracefully and leaves them
// Terminating until the node comes back or is deleted. A returning agent
// removes the Podman pods no longer bound to it (agent.Sync).
func evictionStep(in Inputs, _ objects.Key, _ objects.Object) Changes {
	var ch Changes
	evictions, next := TaintEvictions(in.cache.nodes(), in.cache.pods(), in.Lifecycle.WithDefaults().DefaultTolerationSeconds, in.Now)
	for _, e := range evictions {
		ch.ForceDelete = append(ch.ForceDelete, e.Pod)
		ch.Event(e.Pod, in.Component, events.Warning, ReasonTaintManagerEviction,
			fmt.Sprintf("Marking for deletion Pod %s/%s: %s", e.Pod.Namespace, e.Pod.Name, e.Message), in.Now)
	}
	ch.requeueAfter(next)
	return ch
}
