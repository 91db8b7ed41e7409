package apiserver

import (
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// reportNodeReady is PUT /api/v1/nodes/{name}/ready: the agent sets its
// node's Ready condition itself when it is alive but cannot run pods (its
// container runtime does not answer: reason ContainerRuntimeUnhealthy), as
// the kubelet folds runtime readiness into Ready. It counts as a heartbeat
// (a lease renewal); the Node is written only when its Ready condition
// changes (status, reason or message), as the kubelet posts NodeStatus
// only on change. The plain heartbeat route keeps meaning Ready=True.
func (s *Server) reportNodeReady(w http.ResponseWriter, r *http.Request) {
	var c corev1.NodeCondition
	if !decodeBody(w, r, &c) {
		return
	}
	if c.Type != corev1.NodeReady || (c.Status != corev1.ConditionTrue && c.Status != corev1.ConditionFalse) {
		writeError(w, http.StatusBadRequest, fmt.Errorf("node ready report: want type Ready with status True or False, got %s=%s", c.Type, c.Status))
		return
	}
	now, name := s.now(), r.PathValue("name")
	if c.Status != corev1.ConditionTrue {
		s.leases().Unchecked(name) // the next plain heartbeat reads the Node: it writes Ready=True
	}
	s.renewNode(w, name, func(n *corev1.Node) bool { return sameReady(readyCondition(n), c) },
		func(n *corev1.Node) { setReadyCondition(n, c, now) })
}

// sameReady: the stored Ready condition already says what c says.
func sameReady(stored *corev1.NodeCondition, c corev1.NodeCondition) bool {
	return stored != nil && stored.Status == c.Status && stored.Reason == c.Reason && stored.Message == c.Message
}

// setReadyCondition replaces n's Ready condition by c with a fresh
// heartbeat; lastTransitionTime moves only when the status changes.
func setReadyCondition(n *corev1.Node, c corev1.NodeCondition, now time.Time) {
	t := metav1.NewTime(now.UTC().Truncate(time.Second))
	c.LastHeartbeatTime, c.LastTransitionTime = t, t
	for i := range n.Status.Conditions {
		old := &n.Status.Conditions[i]
		if old.Type != corev1.NodeReady {
			continue
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return
	}
	n.Status.Conditions = append(n.Status.Conditions, c)
}
