package store

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The counts follow creates, updates and deletes, and a reopened store
// counts what is on disk.
func TestCountsFollowCommits(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cm := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}}
	}
	err = st.Update(func(tx *Tx) error {
		for _, n := range []string{"a", "b", "c"} {
			if err := tx.Create(cm(n)); err != nil {
				return err
			}
		}
		return tx.Create(&corev1.Namespace{TypeMeta: metav1.TypeMeta{Kind: "Namespace", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "shop"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx *Tx) error {
		o, err := tx.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "a"})
		if err != nil {
			return err
		}
		o.SetLabels(map[string]string{"x": "y"})
		if err := tx.Update(o); err != nil {
			return err
		}
		return tx.Delete(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "b"})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"ConfigMap": 2, "Namespace": 1}
	if got := st.Counts(); !maps.Equal(got, want) {
		t.Fatalf("counts after commits = %v, want %v", got, want)
	}
	// A failed transaction counts nothing.
	_ = st.Update(func(tx *Tx) error {
		_ = tx.Create(cm("d"))
		return errAbort
	})
	if got := st.Counts(); !maps.Equal(got, want) {
		t.Fatalf("counts after an aborted transaction = %v, want %v", got, want)
	}
	st.Close()
	st, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := st.Counts(); !maps.Equal(got, want) {
		t.Fatalf("counts after reopening = %v, want %v", got, want)
	}
	if lsm, vlog := st.Size(); lsm < 0 || vlog < 0 {
		t.Fatalf("Size() = %d, %d", lsm, vlog)
	}
}

var errAbort = abortError{}

type abortError struct{}

func (abortError) Error() string { return "abort" }
