package agent

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// The agent reports its node.reconcile.dev/ annotations when it registers
// and, when they change (a renewed certificate), at the next heartbeat;
// the host's own (the pod network's) go with them.
func TestNodeAnnotationsFollowChanges(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	a.opts.Host.Annotations = map[string]string{"node.reconcile.dev/vxlan-mac": "0a:00:00:00:00:01"} // the pod network's
	var notAfter atomic.Value
	notAfter.Store("2027-01-01T00:00:00Z")
	a.opts.NodeAnnotations = func() map[string]string {
		return map[string]string{"node.reconcile.dev/certificate-not-after": notAfter.Load().(string)}
	}
	ctx := context.Background()
	if err := a.registerNode(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(want string) {
		t.Helper()
		cp.mu.Lock()
		defer cp.mu.Unlock()
		if got := cp.nodes["n1"].Annotations["node.reconcile.dev/certificate-not-after"]; got != want {
			t.Errorf("annotation %q, want %q", got, want)
		}
		if got := cp.nodes["n1"].Annotations["node.reconcile.dev/vxlan-mac"]; got != "0a:00:00:00:00:01" {
			t.Errorf("the host's annotation: %q, want it sent beside NodeAnnotations'", got)
		}
	}
	check("2027-01-01T00:00:00Z")
	beats := cp.heartbeats
	if err := a.reportReadiness(ctx); err != nil || cp.heartbeats != beats+1 {
		t.Fatalf("unchanged annotations: a plain heartbeat (%d → %d) %v", beats, cp.heartbeats, err)
	}
	notAfter.Store("2027-06-01T00:00:00Z")
	if err := a.reportReadiness(ctx); err != nil {
		t.Fatal(err)
	}
	check("2027-06-01T00:00:00Z")
}

// Between two changes the heartbeat only renews the lease; the whole Node
// status goes again every NodeStatusReportFrequency (the kubelet's
// nodeStatusReportFrequency, 5 min).
func TestNodeStatusPostedOnlyEveryReportFrequency(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	if a.opts.NodeStatusReportFrequency != DefaultNodeStatusReportFrequency {
		t.Fatalf("report frequency %s, want the default %s", a.opts.NodeStatusReportFrequency, DefaultNodeStatusReportFrequency)
	}
	ctx := context.Background()
	if err := a.registerNode(ctx); err != nil {
		t.Fatal(err)
	}
	for range 29 { // 10 s apart: 4 min 50 s
		clock.Add(10 * time.Second)
		if err := a.reportReadiness(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if cp.registrations != 1 || cp.heartbeats != 29 {
		t.Fatalf("within 5 min: %d status posts, %d renewals; want 1 and 29", cp.registrations, cp.heartbeats)
	}
	clock.Add(10 * time.Second)
	if err := a.reportReadiness(ctx); err != nil {
		t.Fatal(err)
	}
	if cp.registrations != 2 || cp.heartbeats != 29 {
		t.Fatalf("at 5 min: %d status posts, %d renewals; want the status posted again", cp.registrations, cp.heartbeats)
	}
}
