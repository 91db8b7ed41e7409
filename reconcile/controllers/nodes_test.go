package controllers

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func heartbeatNode(name string, last time.Time) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0)}}
	objects.SetTypeMeta(n, "Node")
	MarkHeartbeat(n, last)
	return n
}

func TestReconcileNode(t *testing.T) {
	tests := []struct {
		name        string
		node        *corev1.Node
		renewed     time.Time // the node's lease (zero: none)
		now         time.Time
		wantStatus  corev1.ConditionStatus // "" = no write
		wantRequeue time.Duration
	}{
		{"fresh heartbeat", heartbeatNode("n", t0), time.Time{}, t0.Add(10 * time.Second), "", 30 * time.Second},
		{"just inside the grace period", heartbeatNode("n", t0), time.Time{}, t0.Add(39 * time.Second), "", time.Second},
		{"missed heartbeats", heartbeatNode("n", t0), time.Time{}, t0.Add(40 * time.Second), corev1.ConditionUnknown, 0},
		{"never reported", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", CreationTimestamp: metav1.NewTime(t0)}}, time.Time{}, t0.Add(41 * time.Second), corev1.ConditionUnknown, 0},
		{"old status, renewed lease", heartbeatNode("n", t0), t0.Add(5 * time.Minute), t0.Add(5*time.Minute + 10*time.Second), "", 30 * time.Second},
		{"lease renewed before the status post", heartbeatNode("n", t0.Add(time.Minute)), t0, t0.Add(time.Minute + 10*time.Second), "", 30 * time.Second},
		{"lease expired", heartbeatNode("n", t0), t0.Add(5 * time.Minute), t0.Add(5*time.Minute + 40*time.Second), corev1.ConditionUnknown, 0},
		{"lease of a never reported node", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", CreationTimestamp: metav1.NewTime(t0)}}, t0.Add(time.Minute), t0.Add(80 * time.Second), "", 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objects.SetTypeMeta(tt.node, "Node")
			ch := ReconcileNode(tt.node, tt.renewed, DefaultNodeMonitorGracePeriod, tt.now)
			if ch.RequeueAfter != tt.wantRequeue {
				t.Errorf("requeue after %s, want %s", ch.RequeueAfter, tt.wantRequeue)
			}
			if tt.wantStatus == "" {
				if !ch.Empty() {
					t.Errorf("wrote %+v", ch)
				}
				return
			}
			if len(ch.UpdateStatus) != 1 {
				t.Fatalf("changes %+v", ch)
			}
			c := nodeReady(ch.UpdateStatus[0].(*corev1.Node))
			if c.Status != tt.wantStatus || c.Reason != ReasonNodeStatusUnknown || !c.LastTransitionTime.Time.Equal(tt.now) {
				t.Errorf("Ready condition %+v", c)
			}
			// Once Unknown, nothing more is written until a heartbeat.
			if again := ReconcileNode(ch.UpdateStatus[0].(*corev1.Node), tt.renewed, DefaultNodeMonitorGracePeriod, tt.now.Add(time.Hour)); !again.Empty() {
				t.Errorf("second pass wrote %+v", again)
			}
		})
	}
}

func TestMarkHeartbeatRevivesNode(t *testing.T) {
	n := heartbeatNode("n", t0)
	n = ReconcileNode(n, time.Time{}, DefaultNodeMonitorGracePeriod, t0.Add(time.Minute)).UpdateStatus[0].(*corev1.Node)
	MarkHeartbeat(n, t0.Add(2*time.Minute))
	c := nodeReady(n)
	if c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Time.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("after heartbeat: %+v", c)
	}
}

func TestReconcileNodeShortGracePeriod(t *testing.T) {
	n := heartbeatNode("n", t0)
	if ch := ReconcileNode(n, time.Time{}, 5*time.Second, t0.Add(4*time.Second)); !ch.Empty() || ch.RequeueAfter != time.Second {
		t.Errorf("inside a 5 s grace period: %+v", ch)
	}
	if ch := ReconcileNode(n, time.Time{}, 5*time.Second, t0.Add(5*time.Second)); len(ch.UpdateStatus) != 1 {
		t.Errorf("a 5 s grace period ran out without a write: %+v", ch)
	}
}

func TestNodeStepRecordsNodeNotReady(t *testing.T) {
	in := Inputs{Now: t0.Add(time.Minute), Component: "node-controller", Lifecycle: NodeLifecycle{MonitorGracePeriod: 10 * time.Second}, cache: newCache()}
	ch := nodeStep(in, heartbeatNode("n", t0))
	if len(ch.Events) != 1 || ch.Events[0].Reason != ReasonNodeNotReady || ch.Events[0].Message != "Node n status is now: NodeNotReady" || ch.Events[0].Component != "node-controller" {
		t.Errorf("events %+v", ch.Events)
	}
	if ch := nodeStep(in, heartbeatNode("n", t0.Add(55*time.Second))); len(ch.Events) != 0 {
		t.Errorf("a node inside its grace period got events %+v", ch.Events)
	}
}

func TestPodsOfAnUnknownNodeAreMarkedNotReady(t *testing.T) {
	c := newCache()
	n := heartbeatNode("lost", t0)
	n.ResourceVersion = "1"
	c.put(n)
	pod := func(name, node string, ready corev1.ConditionStatus, deleting bool) {
		p := pendingPod(name)
		p.ResourceVersion, p.Spec.NodeName = "1", node
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
		if deleting {
			ts := metav1.NewTime(t0)
			p.DeletionTimestamp = &ts
		}
		c.put(p)
	}
	pod("ready", "lost", corev1.ConditionTrue, false)
	pod("not-ready", "lost", corev1.ConditionFalse, false)
	pod("terminating", "lost", corev1.ConditionTrue, true)
	pod("elsewhere", "ok", corev1.ConditionTrue, false)
	in := Inputs{Now: t0.Add(time.Minute), Component: "node-controller", cache: c}
	ch := nodeStep(in, n)
	var marked []string
	for _, o := range ch.UpdateStatus {
		if p, ok := o.(*corev1.Pod); ok {
			marked = append(marked, p.Name)
			if p.Status.Conditions[0].Status != corev1.ConditionFalse || !p.Status.Conditions[0].LastTransitionTime.Time.Equal(in.Now) {
				t.Errorf("%s: %+v", p.Name, p.Status.Conditions)
			}
		}
	}
	if strings.Join(marked, ",") != "ready" || len(ch.UpdateStatus) != 2 {
		t.Errorf("marked %v (changes %d), want the node and its one ready pod", marked, len(ch.UpdateStatus))
	}
	// A Ready node's heartbeat does not look at pods.
	in.Now = t0.Add(time.Second)
	if ch := nodeStep(in, n); !ch.Empty() {
		t.Errorf("a heartbeating node's step wrote %+v", ch)
	}
}

// leasesAt is a LeaseSource with fixed renewals.
type leasesAt map[string]time.Time

func (l leasesAt) RenewTime(node string) (time.Time, bool) { t, ok := l[node]; return t, ok }

func TestNodeStepReadsTheLease(t *testing.T) {
	in := Inputs{Now: t0.Add(10 * time.Minute), Component: "node-controller", cache: newCache()}
	n := heartbeatNode("n", t0) // status posted 10 min ago: only the lease says it is alive
	in.Leases = leasesAt{"n": t0.Add(10*time.Minute - 5*time.Second)}
	if ch := nodeStep(in, n); !ch.Empty() || ch.RequeueAfter != 35*time.Second {
		t.Errorf("node with a fresh lease: %+v, want nothing written and a requeue in 35s", ch)
	}
	in.Leases = leasesAt{"other": in.Now}
	if ch := nodeStep(in, n); len(ch.UpdateStatus) != 1 {
		t.Errorf("node without a lease and an old status was not marked Unknown: %+v", ch)
	}
}

// The Node step's checks come due on NodeMonitorPeriod boundaries: a
// heartbeat 3 s past one is checked up to 2 s after its grace period.
func TestReconcileNodeChecksOnMonitorTicks(t *testing.T) {
	n := heartbeatNode("n", t0.Add(3*time.Second))
	if ch := ReconcileNode(n, time.Time{}, DefaultNodeMonitorGracePeriod, t0.Add(10*time.Second)); ch.RequeueAfter != 35*time.Second {
		t.Errorf("requeue after %s, want 35s (grace runs out at 43s, the tick is 45s)", ch.RequeueAfter)
	}
	if ch := ReconcileNode(n, time.Time{}, DefaultNodeMonitorGracePeriod, t0.Add(44*time.Second)); len(ch.UpdateStatus) != 1 {
		t.Errorf("past the grace period: %+v, want Unknown", ch)
	}
}
