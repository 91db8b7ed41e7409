package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestErrorsCrossTheWire: the store's errors come back from the client as
// the same sentinels, in a Kubernetes Status body.
func TestErrorsCrossTheWire(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	if _, err := c.Get(ctx, objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "none"}); !errors.Is(err, store.ErrNotFound) || !errors.Is(err, apiclient.ErrNotFound) {
		t.Errorf("get missing: %v", err)
	}
	cp := apiclient.ControlPlane{Client: c}
	if err := cp.Heartbeat(ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("heartbeat of an unregistered node: %v", err)
	}
	p := pod("web", "n1")
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(p) }); err != nil {
		t.Fatal(err)
	}
	if err := cp.FinalizePod(ctx, &corev1.Pod{ObjectMeta: p.ObjectMeta}); err != nil {
		t.Fatal(err)
	}
	if err := c.Watch(ctx, 0, "", "", func(apiclient.WatchEvent) bool { return false }); err != nil && !errors.Is(err, store.ErrGone) {
		t.Errorf("watch: %v", err)
	}
}

func TestErrorBodyIsAStatus(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := (&Server{Store: st}).Handler()
	for path, want := range map[string]apierrors.Status{
		"/api/v1/pods/none":               {Kind: "Status", APIVersion: "v1", Status: "Failure", Reason: apierrors.ReasonNotFound, Code: 404},
		"/api/v1/gadgets":                 {Kind: "Status", APIVersion: "v1", Status: "Failure", Reason: apierrors.ReasonNotFound, Code: 404},
		"/api/v1/watch?resourceVersion=x": {Kind: "Status", APIVersion: "v1", Status: "Failure", Reason: apierrors.ReasonBadRequest, Code: 400},
	} {
		rec := newRecorder()
		req, _ := http.NewRequest("GET", path, nil)
		h.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Result().Body)
		var got apierrors.Status
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %s", path, b)
		}
		if got.Message == "" || rec.Code != want.Code {
			t.Errorf("%s: %d %s", path, rec.Code, b)
		}
		got.Message = ""
		if got != want {
			t.Errorf("%s: %+v, want %+v", path, got, want)
		}
	}
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
