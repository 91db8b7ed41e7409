package apiclient_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestServicesSource lists services and endpoints over a real API server
// and waits for a change of either kind.
func TestServicesSource(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	t.Cleanup(hs.Close)
	src := apiclient.Services{Client: apiclient.New(hs.URL, "")}
	ctx := context.Background()

	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []corev1.ServicePort{{Port: 80}}}}
	objects.SetTypeMeta(svc, "Service")
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(svc) }); err != nil {
		t.Fatal(err)
	}
	svcs, eps, rv, err := src.List(ctx)
	if err != nil || len(svcs) != 1 || len(eps) != 0 || svcs[0].Spec.ClusterIP != "10.96.0.10" {
		t.Fatalf("List = %v, %v, %v", svcs, eps, err)
	}

	for _, change := range []func(tx *store.Tx) error{
		func(tx *store.Tx) error {
			ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}}
			objects.SetTypeMeta(ep, "Endpoints")
			return tx.Create(ep)
		},
		func(tx *store.Tx) error {
			o, err := tx.Get(objects.KeyOf(svc))
			if err != nil {
				return err
			}
			s := o.(*corev1.Service)
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			return tx.Update(s)
		},
	} {
		done := make(chan error, 1)
		go func() { done <- src.Wait(ctx, rv) }()
		if err := st.Update(change); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Wait did not return after a change")
		}
		_, _, rv, err = src.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	_, eps, _, _ = src.List(ctx)
	if len(eps) != 1 {
		t.Fatalf("endpoints after create: %d, want 1", len(eps))
	}
}

// TestServiceCache: the cache lists once and follows changes, deletes
// included, through the watch streams.
func TestServiceCache(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	t.Cleanup(hs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	create := func(name string) {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10"}}
		objects.SetTypeMeta(svc, "Service")
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}}
		objects.SetTypeMeta(ep, "Endpoints")
		if err := st.Update(func(tx *store.Tx) error {
			if err := tx.Create(svc); err != nil {
				return err
			}
			return tx.Create(ep)
		}); err != nil {
			t.Fatal(err)
		}
	}
	create("a")
	cache := apiclient.NewServiceCache(ctx, apiclient.New(hs.URL, ""))
	svcs, eps, rv, err := cache.List(ctx)
	if err != nil || len(svcs) != 1 || len(eps) != 1 {
		t.Fatalf("first list: %d services, %d endpoints, %v", len(svcs), len(eps), err)
	}
	until := func(what string, ok func(s []*corev1.Service, e []*corev1.Endpoints) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if err := cache.Wait(ctx, rv); err != nil {
				t.Fatal(err)
			}
			var s []*corev1.Service
			var e []*corev1.Endpoints
			s, e, rv, _ = cache.List(ctx)
			if ok(s, e) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d services, %d endpoints", what, len(s), len(e))
			}
		}
	}
	create("b")
	until("b created", func(s []*corev1.Service, e []*corev1.Endpoints) bool { return len(s) == 2 && len(e) == 2 })
	if err := st.Update(func(tx *store.Tx) error {
		return tx.Delete(objects.Key{Kind: "Endpoints", Namespace: "default", Name: "a"})
	}); err != nil {
		t.Fatal(err)
	}
	until("a's endpoints deleted", func(s []*corev1.Service, e []*corev1.Endpoints) bool {
		return len(s) == 2 && len(e) == 1 && e[0].Name == "b"
	})
}
