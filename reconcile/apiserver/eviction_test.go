package apiserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestEvictionRoute(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	running := pod("running", "n1")
	running.UID = "uid-running"
	unbound := pod("unbound", "")
	unbound.UID = "uid-unbound"
	if err := st.Update(func(tx *store.Tx) error {
		for _, p := range []*corev1.Pod{running, unbound} {
			if err := tx.Create(p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stored := func(name string) *corev1.Pod {
		o, err := st.Get(objects.Key{Kind: "Pod", Namespace: "default", Name: name})
		if err != nil {
			return nil
		}
		return o.(*corev1.Pod)
	}
	uid := stored("running").UID

	// Another pod's uid: refused, nothing deleted.
	if _, err := c.Evict(ctx, "default", "running", "someone-else"); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "Precondition failed") {
		t.Fatalf("evict with a wrong uid: %v, want a Conflict", err)
	}
	if p := stored("running"); p == nil || p.DeletionTimestamp != nil {
		t.Fatalf("a refused eviction deleted the pod: %+v", p)
	}
	// The bound pod is deleted gracefully: its agent stops it.
	if ans, err := c.Evict(ctx, "default", "running", uid); err != nil || ans != "evicted" {
		t.Fatalf("evict: %q %v", ans, err)
	}
	p := stored("running")
	if p == nil || p.DeletionTimestamp == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != store.DefaultTerminationGracePeriod {
		t.Fatalf("after eviction the pod should be terminating with its grace period: %+v", p)
	}
	// Kubernetes marks an evicted pod DisruptionTarget (a Job's
	// podFailurePolicy reads it), and the agent's next report keeps it.
	wantDisrupted := func(when string) {
		t.Helper()
		var got []string
		for _, c := range stored("running").Status.Conditions {
			got = append(got, fmt.Sprintf("%s=%s/%s/%s", c.Type, c.Status, c.Reason, c.Message))
		}
		if want := "DisruptionTarget=True/EvictionByEvictionAPI/Eviction API: evicting"; !slices.Contains(got, want) {
			t.Errorf("%s: conditions %v, want %s", when, got, want)
		}
	}
	wantDisrupted("after eviction")
	report := stored("running").DeepCopy()
	report.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}}
	if err := (apiclient.ControlPlane{Client: c}).UpdatePodStatus(ctx, report); err != nil {
		t.Fatal(err)
	}
	wantDisrupted("after the agent's report")
	if ans, err := c.Evict(ctx, "default", "running", ""); err != nil || ans != "already terminating" {
		t.Fatalf("evicting a terminating pod again: %q %v", ans, err)
	}
	// An unbound pod has nothing to stop: gone at once.
	if _, err := c.Evict(ctx, "default", "unbound", ""); err != nil || stored("unbound") != nil {
		t.Fatalf("evict unbound: %v, still stored: %v", err, stored("unbound") != nil)
	}
	if _, err := c.Evict(ctx, "default", "nope", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("evict a missing pod: %v, want NotFound", err)
	}
	evs, _, err := st.List("Event", "default")
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, o := range events.For(typedEvents(evs), p) {
		reasons = append(reasons, o.Reason+"/"+o.Source.Component)
	}
	if strings.Join(reasons, ",") != "Evicted/eviction-api" {
		t.Errorf("events of the evicted pod: %v", reasons)
	}
}

func typedEvents(objs []objects.Object) []*corev1.Event {
	var out []*corev1.Event
	for _, o := range objs {
		out = append(out, o.(*corev1.Event))
	}
	return out
}

func TestDecodeEviction(t *testing.T) {
	key := objects.Key{Kind: "Pod", Namespace: "default", Name: "web"}
	tests := []struct {
		body string
		want apierrors.Reason // "" = accepted
	}{
		{``, ""},
		{`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web","namespace":"default"}}`, ""},
		{`{"metadata":{"name":"web"},"deleteOptions":{"preconditions":{"uid":"u1"}}}`, ""},
		{`{"metadata":{"name":"other"}}`, apierrors.ReasonBadRequest},
		{`{"metadata":{"name":"web","namespace":"kube-system"}}`, apierrors.ReasonBadRequest},
		{`{"deleteOptions":{"gracePeriodSeconds":0}}`, apierrors.ReasonInvalid},
		{`{"deleteOptions":{"dryRun":["All"]}}`, apierrors.ReasonInvalid},
		{`{"deleteOptions":{"preconditions":{"resourceVersion":"3"}}}`, apierrors.ReasonInvalid},
		{`not json`, apierrors.ReasonBadRequest},
	}
	for _, tt := range tests {
		_, err := decodeEviction(strings.NewReader(tt.body), key)
		if got := apierrors.ReasonOf(err); err != nil && got != tt.want || err == nil && tt.want != "" {
			t.Errorf("%s: %v, want reason %q", tt.body, err, tt.want)
		}
	}
}

func FuzzDecodeEviction(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"metadata":{"name":"web"},"deleteOptions":{"preconditions":{"uid":"u"}}}`,
		`{"deleteOptions":{"gracePeriodSeconds":1}}`, `[`, `{"metadata":{"name":1}}`} {
		f.Add(s)
	}
	key := objects.Key{Kind: "Pod", Namespace: "default", Name: "web"}
	f.Fuzz(func(t *testing.T, body string) {
		ev, err := decodeEviction(strings.NewReader(body), key)
		if err == nil && ev == nil {
			t.Fatal("no error and no eviction")
		}
		if err != nil && apierrors.ReasonOf(err) == "" {
			t.Fatalf("an error without a reason: %v", err)
		}
	})
}
