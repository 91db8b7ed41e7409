package controllers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// claimedPods sorts the pods an owner may control (Kubernetes'
// PodControllerRefManager, shared by the DaemonSet and StatefulSet
// controllers): active pods it controls or adopts (orphans its selector
// matches), its terminating pods (deletionTimestamp set: they no longer
// count, but a stable name stays taken until they are gone) and its
// finished pods (Succeeded or Failed, to be replaced). Owned pods that no
// longer match the selector are released.
type claimedPods struct {
	active, terminating, finished []*corev1.Pod
}

func claimPodsOf(owner objects.Object, kind string, pods []*corev1.Pod, sel labels.Selector, ch *Changes) claimedPods {
	var c claimedPods
	for _, p := range pods {
		if p.Namespace != owner.GetNamespace() {
			continue
		}
		matches := sel.Matches(labels.Set(p.Labels))
		switch {
		case ownedBy(p, owner) && !matches && p.DeletionTimestamp == nil:
			released := p.DeepCopy()
			released.OwnerReferences = withoutController(released.OwnerReferences, owner.GetUID())
			objects.SetTypeMeta(released, "Pod")
			ch.Update = append(ch.Update, released)
			continue
		case ownedBy(p, owner):
		case matches && !hasController(p) && p.DeletionTimestamp == nil && !podTerminal(p):
			adopted := p.DeepCopy()
			adopted.OwnerReferences = append(adopted.OwnerReferences, controllerRef(owner, kind))
			objects.SetTypeMeta(adopted, "Pod")
			ch.Update = append(ch.Update, adopted)
			p = adopted
		default:
			continue
		}
		switch {
		case p.DeletionTimestamp != nil:
			c.terminating = append(c.terminating, p)
		case podTerminal(p):
			c.finished = append(c.finished, p)
		default:
			c.active = append(c.active, p)
		}
	}
	return c
}

// podAvailable reports whether p has been ready for minReady by now; if
// it is ready but not yet for long enough, wait says how long is left.
func podAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) (ok bool, wait time.Duration) {
	if !objects.PodReady(p) {
		return false, 0
	}
	w := readySince(p).Add(time.Duration(minReadySeconds) * time.Second).Sub(now)
	if minReadySeconds == 0 || w <= 0 {
		return true, 0
	}
	return false, w
}
