package apiserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/nodelease"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestHeartbeatRenewsTheLeaseWithoutWritingTheNode: a heartbeat of a
// Ready node is a lease renewal in memory, written by the next flush as a
// side record; the Node (and the store's resourceVersion: no watch event)
// moves only when its Ready condition changes.
func TestHeartbeatRenewsTheLeaseWithoutWritingTheNode(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	srv := &Server{Store: st, Now: func() time.Time { return now }}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	c := apiclient.New(hs.URL, "")
	cp := apiclient.ControlPlane{Client: c}
	ctx := context.Background()
	if err := cp.RegisterNode(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}); err != nil {
		t.Fatal(err)
	}
	rv := st.ResourceVersion()
	now = now.Add(10 * time.Second)
	for range 3 {
		if err := cp.Heartbeat(ctx, "n1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := st.ResourceVersion(); got != rv {
		t.Errorf("heartbeats of a Ready node wrote objects: resourceVersion %d → %d", rv, got)
	}
	leases := nodelease.Reader{Store: st}
	if err := srv.FlushLeases(); err != nil {
		t.Fatal(err)
	}
	if got, ok := leases.RenewTime("n1"); !ok || !got.Equal(now) {
		t.Errorf("lease after the flush: %v %v, want renewed at %v", got, ok, now)
	}

	// The same runtime-down report twice: one write of the Node.
	down := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "ContainerRuntimeUnhealthy", Message: "podman down"}
	for range 2 {
		if err := c.ReportNodeReady(ctx, "n1", down); err != nil {
			t.Fatal(err)
		}
	}
	if got := st.ResourceVersion(); got != rv+1 {
		t.Errorf("two identical Ready=False reports: %d writes, want 1", got-rv)
	}

	// The node lifecycle controller marked it Unknown: the next heartbeat
	// writes Ready=True at once.
	err = st.Update(func(tx *store.Tx) error {
		o, err := tx.Get(objects.Key{Kind: "Node", Name: "n1"})
		if err != nil {
			return err
		}
		n := o.(*corev1.Node)
		readyCondition(n).Status = corev1.ConditionUnknown
		return tx.UpdateStatus(n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Heartbeat(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	o, err := st.Get(objects.Key{Kind: "Node", Name: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if c := readyCondition(o.(*corev1.Node)); c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Time.Equal(now) {
		t.Errorf("after a heartbeat of an Unknown node: %+v", c)
	}
}

// A heartbeat within nodelease.DefaultCheckInterval of one that found the
// Node Ready renews without reading it; the next read, at most that long
// later, finds what changed (here: marked Unknown behind its back) and
// writes Ready=True.
func TestHeartbeatReadsTheNodeOnceACheckInterval(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	srv := &Server{Store: st, Now: func() time.Time { return now }}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	cp := apiclient.ControlPlane{Client: apiclient.New(hs.URL, "")}
	ctx := context.Background()
	if err := cp.RegisterNode(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}); err != nil {
		t.Fatal(err)
	}
	if err := cp.Heartbeat(ctx, "n1"); err != nil { // reads: Ready
		t.Fatal(err)
	}
	markUnknown := func() {
		err := st.Update(func(tx *store.Tx) error {
			o, err := tx.Get(objects.Key{Kind: "Node", Name: "n1"})
			if err != nil {
				return err
			}
			n := o.(*corev1.Node)
			readyCondition(n).Status = corev1.ConditionUnknown
			return tx.UpdateStatus(n)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ready := func() corev1.ConditionStatus {
		o, err := st.Get(objects.Key{Kind: "Node", Name: "n1"})
		if err != nil {
			t.Fatal(err)
		}
		return readyCondition(o.(*corev1.Node)).Status
	}
	markUnknown()
	now = now.Add(10 * time.Second)
	if err := cp.Heartbeat(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got != corev1.ConditionUnknown {
		t.Errorf("a heartbeat 10 s after a check read the Node (Ready %s)", got)
	}
	if got, _ := srv.Leases.RenewTime("n1"); !got.Equal(now) {
		t.Errorf("the unread heartbeat did not renew: %v", got)
	}
	now = now.Add(nodelease.DefaultCheckInterval)
	if err := cp.Heartbeat(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got != corev1.ConditionTrue {
		t.Errorf("a heartbeat a check interval later: Ready %s, want True", got)
	}
}

// The heartbeat's answer encoded once is byte for byte writeJSON's.
func TestAckOKIsWriteJSONs(t *testing.T) {
	want, got := httptest.NewRecorder(), httptest.NewRecorder()
	writeJSON(want, http.StatusOK, apitypes.Ack{Status: "ok"})
	writeAckOK(got)
	if got.Code != want.Code || got.Body.String() != want.Body.String() || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
		t.Errorf("writeAckOK answered %d %q %q; writeJSON %d %q %q", got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
	}
}
