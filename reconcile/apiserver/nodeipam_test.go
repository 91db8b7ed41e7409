package apiserver

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestRegistrationAssignsStablePodCIDR: the agent sends an empty spec every
// time; the node keeps the subnet it got first.
func TestRegistrationAssignsStablePodCIDR(t *testing.T) {
	st, c := newTestServer(t, "")
	cp := apiclient.ControlPlane{Client: c}
	ctx := context.Background()
	cidr := func(name string) string {
		t.Helper()
		if err := cp.RegisterNode(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
			t.Fatal(err)
		}
		o, err := st.Get(objects.Key{Kind: "Node", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return o.(*corev1.Node).Spec.PodCIDR
	}
	a, b := cidr("a"), cidr("b")
	if a != "10.244.0.0/24" || b != "10.244.1.0/24" {
		t.Fatalf("podCIDRs a=%q b=%q", a, b)
	}
	if again := cidr("a"); again != a {
		t.Fatalf("re-registration moved node a from %s to %s", a, again)
	}
}
