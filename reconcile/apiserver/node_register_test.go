package apiserver

import (
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clusterid"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestRegisterNodeUpdatesAnnotations: a re-registration sets the agent's
// node.reconcile.dev/ annotations (a new VXLAN MAC lands), keeps the
// others on the Node, and ignores other keys the agent sends.
func TestRegisterNodeUpdatesAnnotations(t *testing.T) {
	st, c := newTestServer(t, "")
	cp := apiclient.ControlPlane{Client: c}
	ctx := t.Context()
	node := func(ann map[string]string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Annotations: ann}}
	}
	if err := cp.RegisterNode(ctx, node(map[string]string{"node.reconcile.dev/vxlan-mac": "0a:00:00:00:00:01"})); err != nil {
		t.Fatal(err)
	}
	key := objects.Key{Kind: "Node", Name: "n1"}
	if err := st.Update(func(tx *store.Tx) error {
		o, err := tx.Get(key)
		if err != nil {
			return err
		}
		o.(*corev1.Node).Annotations["example.com/owner"] = "ops"
		return tx.Update(o)
	}); err != nil {
		t.Fatal(err)
	}
	if err := cp.RegisterNode(ctx, node(map[string]string{"node.reconcile.dev/vxlan-mac": "0a:00:00:00:00:02",
		"node.reconcile.dev/pod-network-backend": "vxlan", "example.com/owner": "agent"})); err != nil {
		t.Fatal(err)
	}
	o, err := st.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	got := o.(*corev1.Node).Annotations
	want := map[string]string{"node.reconcile.dev/vxlan-mac": "0a:00:00:00:00:02", "node.reconcile.dev/pod-network-backend": "vxlan", "example.com/owner": "ops"}
	if len(got) != len(want) {
		t.Fatalf("annotations %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("annotations %v, want %v", got, want)
		}
	}
}

// TestClusterInfoServesTheBackend: GET /api/v1/cluster tells agents the
// cluster's pod network backend.
func TestClusterInfoServesTheBackend(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Update(func(tx *store.Tx) error { return tx.PutMeta(clusterid.MetaKey, "abc123") }); err != nil {
		t.Fatal(err)
	}
	srv := &Server{Store: st, PodNetworkBackend: "vxlan", Now: func() time.Time { return time.Unix(1700000000, 0) }}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	info, err := apiclient.New(hs.URL, "").ClusterInfo(t.Context())
	if err != nil || info.ID != "abc123" || info.PodNetworkBackend != "vxlan" {
		t.Fatalf("ClusterInfo = %+v, %v", info, err)
	}
}
