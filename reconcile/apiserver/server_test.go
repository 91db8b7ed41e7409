package apiserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func newTestServer(t *testing.T, token string) (*store.Store, *apiclient.Client) {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := &Server{Store: st, Token: token, Now: func() time.Time { return time.Unix(1700000000, 0) }}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return st, apiclient.New(hs.URL, token)
}

func pod(name, node string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.PodSpec{NodeName: node,
		Containers: []corev1.Container{{Name: "c", Image: "img"}}}}
	objects.SetTypeMeta(p, "Pod")
	return p
}

func TestAgentControlPlaneRoundTrip(t *testing.T) {
	st, c := newTestServer(t, "")
	cp := apiclient.ControlPlane{Client: c}
	ctx := context.Background()

	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	if err := cp.RegisterNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	if err := cp.Heartbeat(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	if err := cp.Heartbeat(ctx, "nope"); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("heartbeat of an unknown node: %v, want agent.ErrNotFound", err)
	}
	got, err := st.Get(objects.Key{Kind: "Node", Name: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if cs := got.(*corev1.Node).Status.Conditions; len(cs) != 1 || cs[0].Type != corev1.NodeReady || cs[0].Status != corev1.ConditionTrue {
		t.Fatalf("node conditions after heartbeat: %+v", cs)
	}

	if err := st.Update(func(tx *store.Tx) error {
		if err := tx.Create(pod("a", "n1")); err != nil {
			return err
		}
		return tx.Create(pod("b", "n2"))
	}); err != nil {
		t.Fatal(err)
	}
	pods, rv, err := cp.ListPods(ctx, "n1")
	if err != nil || len(pods) != 1 || pods[0].Name != "a" {
		t.Fatalf("ListPods(n1) = %v, %v", pods, err)
	}

	// WaitPods returns once a pod of this node changes after rv.
	done := make(chan error, 1)
	go func() { done <- cp.WaitPods(ctx, "n1", rv) }()
	p := pods[0]
	p.Status.Phase = corev1.PodRunning
	if err := cp.UpdatePodStatus(ctx, p); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitPods did not return after a change to the node's pod")
	}
	stored, _ := st.Get(objects.KeyOf(p))
	if stored.(*corev1.Pod).Status.Phase != corev1.PodRunning {
		t.Fatalf("status not stored: %+v", stored.(*corev1.Pod).Status)
	}

	// A report for another uid (a pod deleted and recreated) is refused.
	p.UID = "someone-else"
	if err := cp.UpdatePodStatus(ctx, p); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("status for a stale uid: %v, want not found", err)
	}
	if _, err := cp.GetConfigMap(ctx, "default", "missing"); !errors.Is(err, agent.ErrNotFound) {
		t.Fatalf("missing configmap: %v", err)
	}
}

func TestTokenRequired(t *testing.T) {
	_, c := newTestServer(t, "s3cret")
	if _, _, err := c.List(context.Background(), "Pod", "", nil); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	st, _ := store.OpenInMemory()
	defer st.Close()
	hs := httptest.NewServer((&Server{Store: st, Token: "s3cret"}).Handler())
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/api/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: status %d, want 401", resp.StatusCode)
	}
	if _, _, err := apiclient.New(hs.URL, "wrong").List(context.Background(), "Pod", "", nil); err == nil {
		t.Fatal("a wrong token was accepted")
	}
}

func TestListenBeyondLoopbackNeedsToken(t *testing.T) {
	s := &Server{}
	if err := s.ListenAndServe(context.Background(), "0.0.0.0:0"); err == nil {
		t.Fatal("listening on 0.0.0.0 without a token must be refused")
	}
	for addr, want := range map[string]bool{"127.0.0.1:7420": true, "localhost:1": true, "[::1]:7420": true, "0.0.0.0:7420": false, "10.0.0.1:7420": false} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%s) = %v, want %v", addr, got, want)
		}
	}
}
