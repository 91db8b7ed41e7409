package scheduler

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/scheduler/priority"
)

// daemonFit is the filter chain a DaemonSet pod meets on the one node it
// belongs to once DaemonPodFits said the node is eligible: room, and its
// host ports free (the kubelet would refuse a second pod on a taken port).
var daemonFit = &Scheduler{Filters: []FilterPlugin{ResourceFit{}, NodePorts{}}}

// DaemonPodPlacement says whether a DaemonSet's pod (its priority
// resolved) fits on node beside the pods already bound there, with the
// same ResourceFit and NodePorts filters every other pod meets. When it does not, and
// the pod may preempt, victims are the lower-priority pods to delete so it
// fits (chosen as Preemption chooses them on one node: all lower-priority
// pods, then reprieved most important first); reasons are Kubernetes'
// ("Insufficient cpu") when it can be placed neither way. Readiness is not
// checked: a daemon pod belongs on its node, ready or not.
func DaemonPodPlacement(pod *corev1.Pod, node *corev1.Node, onNode []*corev1.Pod) (victims []*corev1.Pod, reasons []string) {
	n := newNodeInfos([]*corev1.Node{node}, onNode)[0]
	p := newPodInfo(pod)
	reasons = daemonFit.filter(p, n)
	if len(reasons) == 0 {
		return nil, nil
	}
	if !priority.MayPreempt(pod) {
		return nil, reasons
	}
	c, ok := daemonFit.selectVictimsOnNode(p, n, newPreemptionState(onNode))
	if !ok {
		return nil, reasons
	}
	return c.victims, nil
}
