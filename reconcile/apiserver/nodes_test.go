package apiserver

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestCordonAndUncordon(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	cp := apiclient.ControlPlane{Client: c}
	if err := cp.RegisterNode(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}); err != nil {
		t.Fatal(err)
	}
	n, err := c.SetUnschedulable(ctx, "n1", true)
	if err != nil || !n.Spec.Unschedulable || n.Kind != "Node" {
		t.Fatalf("cordon: %+v %v", n, err)
	}
	// The node controller's taint (stands in for the #taints step here).
	if err := st.Update(func(tx *store.Tx) error {
		o, err := tx.Get(objects.Key{Kind: "Node", Name: "n1"})
		if err != nil {
			return err
		}
		n := o.(*corev1.Node)
		n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}}
		return tx.Update(n)
	}); err != nil {
		t.Fatal(err)
	}
	// A restarted agent registers again: the cordon and the taints stay.
	if err := cp.RegisterNode(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"new": "label"}}}); err != nil {
		t.Fatal(err)
	}
	o, _ := st.Get(objects.Key{Kind: "Node", Name: "n1"})
	if got := o.(*corev1.Node); !got.Spec.Unschedulable || len(got.Spec.Taints) != 1 || got.Labels["new"] != "label" {
		t.Fatalf("after re-registration: unschedulable %v taints %v labels %v", got.Spec.Unschedulable, got.Spec.Taints, got.Labels)
	}
	if n, err := c.SetUnschedulable(ctx, "n1", false); err != nil || n.Spec.Unschedulable {
		t.Fatalf("uncordon: %+v %v", n, err)
	}
	if _, err := c.SetUnschedulable(ctx, "nope", true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cordon a missing node: %v", err)
	}
}

func TestDecodeNodePatch(t *testing.T) {
	tests := []struct {
		body string
		want apierrors.Reason
		set  bool
	}{
		{`{"spec":{"unschedulable":true}}`, "", true},
		{`{"spec":{"unschedulable":false}}`, "", false},
		{`{"spec":{"podCIDR":"10.0.0.0/24","unschedulable":true}}`, apierrors.ReasonInvalid, false},
		{`{"metadata":{"labels":{"a":"b"}}}`, apierrors.ReasonInvalid, false},
		{`{"spec":{}}`, apierrors.ReasonInvalid, false},
		{`{"spec":{"unschedulable":"yes"}}`, apierrors.ReasonBadRequest, false},
		{`{"spec":{"unschedulable":true}} {}`, apierrors.ReasonBadRequest, false},
	}
	for _, tt := range tests {
		got, err := decodeNodePatch(strings.NewReader(tt.body))
		if apierrors.ReasonOf(err) != tt.want && !(err == nil && tt.want == "") || got != tt.set {
			t.Errorf("%s: %v %v, want %v reason %q", tt.body, got, err, tt.set, tt.want)
		}
	}
}

func FuzzDecodeNodePatch(f *testing.F) {
	for _, s := range []string{`{"spec":{"unschedulable":true}}`, `{"spec":{"taints":[]}}`, `{}`, `[]`, `{"spec":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if _, err := decodeNodePatch(strings.NewReader(body)); err != nil && apierrors.ReasonOf(err) == "" {
			t.Fatalf("an error without a reason: %v", err)
		}
	})
}
