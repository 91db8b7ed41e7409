package store

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestCreateWithKeepUID(t *testing.T) {
	st, err := OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default", UID: "11111111-2222-3333-4444-555555555555", CreationTimestamp: created}}
	if err := st.Update(func(tx *Tx) error { return tx.CreateWith(p, CreateOptions{KeepUID: true}) }); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(objects.KeyOf(p))
	if err != nil {
		t.Fatal(err)
	}
	if got.GetUID() != p.UID || !got.GetCreationTimestamp().Time.Equal(created.Time) || got.GetGeneration() != 1 || got.GetResourceVersion() == "" {
		t.Errorf("stored metadata %+v, want the given uid and creationTimestamp", got.(*corev1.Pod).ObjectMeta)
	}
	// The default keeps making the uid.
	q := p.DeepCopy()
	q.Name = "web-2"
	if err := st.Update(func(tx *Tx) error { return tx.CreateWith(q, CreateOptions{}) }); err != nil {
		t.Fatal(err)
	}
	if q.UID == p.UID {
		t.Errorf("plain create kept the caller's uid")
	}
	// A taken name and a missing uid are refused.
	if err := st.Update(func(tx *Tx) error { return tx.CreateWith(p.DeepCopy(), CreateOptions{KeepUID: true}) }); !errors.Is(err, ErrExists) {
		t.Errorf("create over an existing pod: %v, want ErrExists", err)
	}
	r := p.DeepCopy()
	r.Name, r.UID = "web-3", ""
	if err := st.Update(func(tx *Tx) error { return tx.CreateWith(r, CreateOptions{KeepUID: true}) }); err == nil {
		t.Errorf("create keeping an empty uid was accepted")
	}
}
