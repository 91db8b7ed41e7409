package apiserver

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clusterid"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestClusterIDRoute(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	if _, err := c.ClusterID(ctx); !errors.Is(err, apiclient.ErrNotFound) {
		t.Fatalf("before an ID was made: %v, want not found", err)
	}
	if err := st.Update(func(tx *store.Tx) error { return tx.PutMeta(clusterid.MetaKey, "abc123") }); err != nil {
		t.Fatal(err)
	}
	if id, err := c.ClusterID(ctx); err != nil || id != "abc123" {
		t.Fatalf("ClusterID = %q, %v", id, err)
	}
}

// An adopted pod keeps its uid, is bound to its node, has no owner and
// carries the status the agent saw.
func TestAdoptPodRoute(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	p := pod("web-abc12", "n1")
	p.UID = "0000aaaa-1111-2222-3333-444455556666"
	p.Labels = map[string]string{"app": "web"}
	yes := true
	p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "old", UID: "gone", Controller: &yes}}
	p.Status.Phase = corev1.PodRunning
	if res, err := c.AdoptPod(ctx, p); err != nil || res != "adopted" {
		t.Fatalf("AdoptPod = %q, %v", res, err)
	}
	o, err := st.Get(objects.KeyOf(p))
	if err != nil {
		t.Fatal(err)
	}
	got := o.(*corev1.Pod)
	if got.UID != p.UID || got.Spec.NodeName != "n1" || len(got.OwnerReferences) != 0 || got.Status.Phase != corev1.PodRunning || got.Labels["app"] != "web" {
		t.Errorf("stored %+v / %+v", got.ObjectMeta, got.Status)
	}
	if res, err := c.AdoptPod(ctx, p); err != nil || res != "exists" {
		t.Errorf("second AdoptPod = %q, %v; want exists", res, err)
	}
	other := p.DeepCopy()
	other.UID = "ffff0000-1111-2222-3333-444455556666"
	if res, err := c.AdoptPod(ctx, other); err != nil || res != "name-taken" {
		t.Errorf("AdoptPod of another uid under a taken name = %q, %v", res, err)
	}
	unbound := p.DeepCopy()
	unbound.Name, unbound.Spec.NodeName = "x", ""
	if _, err := c.AdoptPod(ctx, unbound); err == nil {
		t.Errorf("an unbound pod was adopted")
	}
}

// An agent whose runtime is down reports NotReady with its reason; a
// heartbeat makes it Ready again.
func TestReportNodeReadyRoute(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	cp := apiclient.ControlPlane{Client: c}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	if err := cp.RegisterNode(ctx, n); err != nil {
		t.Fatal(err)
	}
	down := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "ContainerRuntimeUnhealthy", Message: "podman down"}
	if err := c.ReportNodeReady(ctx, "n1", down); err != nil {
		t.Fatal(err)
	}
	ready := func() corev1.NodeCondition {
		o, err := st.Get(objects.Key{Kind: "Node", Name: "n1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range o.(*corev1.Node).Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c
			}
		}
		return corev1.NodeCondition{}
	}
	if got := ready(); got.Status != corev1.ConditionFalse || got.Reason != "ContainerRuntimeUnhealthy" || got.LastHeartbeatTime.IsZero() {
		t.Errorf("after the report: %+v", got)
	}
	if err := cp.Heartbeat(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got.Status != corev1.ConditionTrue {
		t.Errorf("after a heartbeat: %+v", got)
	}
	if err := c.ReportNodeReady(ctx, "nope", down); !errors.Is(err, apiclient.ErrNotFound) {
		t.Errorf("unknown node: %v", err)
	}
	if err := c.ReportNodeReady(ctx, "n1", corev1.NodeCondition{Type: "Other", Status: corev1.ConditionTrue}); err == nil {
		t.Errorf("a condition other than Ready was accepted")
	}
}
