package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestDaemonSetPodsPassTheResourceFit: the DaemonSet step asks the cache's
// placement for every new pod: a node without room gets no pod and the
// DaemonSet a FailedPlacement event (retried); a node-critical daemon
// preempts the low-priority pod there (deleted with Preempted, not
// counted as the DaemonSet's SuccessfulDelete).
func TestDaemonSetPodsPassTheResourceFit(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	node.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourcePods: resource.MustParse("110")}
	objects.SetTypeMeta(node, "Node")
	filler := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "filler", UID: "u-filler"},
		Spec: corev1.PodSpec{NodeName: "n1", Priority: ptr.To[int32](0), Containers: []corev1.Container{{Name: "c",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}}}
	objects.SetTypeMeta(filler, "Pod")

	for _, tc := range []struct{ class, want string }{
		{"", "created=0 deleted=[] events=[Warning FailedPlacement failed to place pod on \"n1\": Insufficient cpu] requeue=30s"},
		{"system-node-critical", "created=1 deleted=[filler] events=[Normal Preempted Preempted by pod default/agent-p0001 on node n1; Normal SuccessfulCreate Created pod: agent-p0001] requeue=0s"},
	} {
		t.Run("class "+tc.class, func(t *testing.T) {
			c := newCache()
			c.put(node)
			c.put(filler)
			ds := daemonSet("agent", "img")
			ds.Spec.Template.Spec.PriorityClassName = tc.class
			ds.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
			n := 0
			suffix := func() string { n++; return "p000" + string(rune('0'+n)) }
			ch := ReconcileDaemonSetPlaced(ds, nil, []*corev1.Node{node}, daemonPlacement(c), suffix, t0)
			var deleted, evs []string
			for _, o := range ch.Delete {
				deleted = append(deleted, o.GetName())
			}
			for _, e := range ch.Events {
				evs = append(evs, e.Type+" "+e.Reason+" "+e.Message)
			}
			got := "created=" + string(rune('0'+len(ch.Create))) + " deleted=[" + strings.Join(deleted, ",") + "] events=[" + strings.Join(evs, "; ") + "] requeue=" + ch.RequeueAfter.String()
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
