package apiserver

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestReplaceObject(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "app"}, Data: map[string]string{"k": "v1"}}
	objects.SetTypeMeta(cm, "ConfigMap")
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(cm) }); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, objects.KeyOf(cm))
	if err != nil {
		t.Fatal(err)
	}
	edit := objects.Copy(got).(*corev1.ConfigMap)
	edit.Data["k"] = "v2"
	out, err := c.Replace(ctx, edit)
	if err != nil {
		t.Fatal(err)
	}
	if out.(*corev1.ConfigMap).Data["k"] != "v2" || out.GetResourceVersion() == got.GetResourceVersion() || out.GetUID() != got.GetUID() {
		t.Errorf("replaced: %+v", out)
	}
	stored, _ := st.Get(objects.KeyOf(cm))
	if stored.(*corev1.ConfigMap).Data["k"] != "v2" {
		t.Errorf("stored: %+v", stored)
	}

	// A stale resourceVersion conflicts; a missing object, a wrong kind or a system kind are refused.
	if _, err := c.Replace(ctx, edit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale resourceVersion: %v", err)
	}
	gone := objects.Copy(cm).(*corev1.ConfigMap)
	gone.Name = "nope"
	if _, err := c.Replace(ctx, gone); !errors.Is(err, apiclient.ErrNotFound) {
		t.Errorf("missing object: %v", err)
	}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "e"}}
	objects.SetTypeMeta(ev, "Event")
	if _, err := c.Replace(ctx, ev); err == nil || !strings.Contains(err.Error(), "written by the system") {
		t.Errorf("system kind: %v", err)
	}
}

func TestReplaceNeedsTheToken(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hs := httptest.NewServer((&Server{Store: st, Token: "s3cret"}).Handler())
	defer hs.Close()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "app"}}
	objects.SetTypeMeta(cm, "ConfigMap")
	if _, err := apiclient.New(hs.URL, "wrong").Replace(context.Background(), cm); !apierrors.Is(err, apierrors.ReasonUnauthorized) {
		t.Errorf("wrong token: %v", err)
	}
}

// A Secret read without reveal carries placeholders: writing them back is
// refused, and the answer to a PUT masks values like every other answer.
func TestReplaceSecretKeepsValuesHidden(t *testing.T) {
	st, c := newTestServer(t, "")
	ctx := context.Background()
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"}, Data: map[string][]byte{"password": []byte("canary-4711")}}
	objects.SetTypeMeta(sec, "Secret")
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(sec) }); err != nil {
		t.Fatal(err)
	}
	masked, err := c.Get(ctx, objects.KeyOf(sec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Replace(ctx, masked); err == nil || !strings.Contains(err.Error(), "masked placeholder") {
		t.Errorf("writing back a masked Secret: %v", err)
	}
	edit := objects.Copy(masked).(*corev1.Secret)
	edit.Data = map[string][]byte{"password": []byte("canary-0815")}
	out, err := c.Replace(ctx, edit)
	if err != nil {
		t.Fatal(err)
	}
	if v := string(out.(*corev1.Secret).Data["password"]); strings.Contains(v, "canary") {
		t.Errorf("the PUT answer shows the value: %q", v)
	}
	stored, _ := st.Get(objects.KeyOf(sec))
	if v := string(stored.(*corev1.Secret).Data["password"]); v != "canary-0815" {
		t.Errorf("stored %q", v)
	}
}
