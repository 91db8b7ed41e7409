package store

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// backends runs a test against every implementation: Badger on disk,
// Badger in memory, and etcd.
var backends = []struct {
	name string
	open func(t testing.TB) *Store
}{
	{"disk", func(t testing.TB) *Store {
		st, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"memory", func(t testing.TB) *Store {
		st, err := OpenInMemory()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}}, // The etcd engine: a view in memory on an embedded etcd member shared
	// by the package's tests, under a prefix of its own (suite_test.go).
	{"etcd", func(t testing.TB) *Store { return openEtcdView(t, "", newPrefix(t)) }},
}

func eachBackend(t *testing.T, fn func(t *testing.T, st *Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

func configMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	objects.SetTypeMeta(cm, "ConfigMap")
	return cm
}

func deployment(ns, name string, replicas int32) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: "localhost/reconcile-hello:v1",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
					Env:   []corev1.EnvVar{{Name: "GREETING", Value: "hello"}},
				}}},
			},
		},
	}
	objects.SetTypeMeta(d, "Deployment")
	return d
}

func create(t testing.TB, st *Store, objs ...objects.Object) {
	t.Helper()
	err := st.Update(func(tx *Tx) error {
		for _, o := range objs {
			if err := tx.Create(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustGet(t testing.TB, st *Store, o objects.Object) objects.Object {
	t.Helper()
	got, err := st.Get(objects.KeyOf(o))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCreateSetsSystemMetadata(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		cm := configMap("default", "a", map[string]string{"k": "v"})
		create(t, st, cm)
		got := mustGet(t, st, cm)
		if got.GetUID() == "" || got.GetUID() != cm.GetUID() {
			t.Errorf("uid = %q, caller saw %q", got.GetUID(), cm.GetUID())
		}
		if got.GetResourceVersion() != "1" || got.GetGeneration() != 1 || got.GetCreationTimestamp().Time.IsZero() {
			t.Errorf("rv %q gen %d created %v", got.GetResourceVersion(), got.GetGeneration(), got.GetCreationTimestamp())
		}
		if objects.KindOf(got) != "ConfigMap" || got.(*corev1.ConfigMap).Data["k"] != "v" {
			t.Errorf("got %+v", got)
		}
		if st.ResourceVersion() != 1 {
			t.Errorf("store rv = %d", st.ResourceVersion())
		}
		err := st.Update(func(tx *Tx) error { return tx.Create(configMap("default", "a", nil)) })
		if !errors.Is(err, ErrExists) {
			t.Errorf("second create: %v, want ErrExists", err)
		}
		if _, err := st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "nope"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("get missing: %v", err)
		}
	})
}

func TestCreateRejectsBadKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"}}
		objects.SetTypeMeta(ns, "Namespace")
		for _, o := range []objects.Object{configMap("", "a", nil), configMap("default", "", nil), ns, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "d"}}} {
			if err := st.Update(func(tx *Tx) error { return tx.Create(o) }); err == nil {
				t.Errorf("create %s: no error", objects.KeyOf(o))
			}
		}
	})
}

func TestListSortedAndFiltered(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		create(t, st, configMap("b", "z", nil), configMap("a", "y", nil), configMap("a", "x", nil), deployment("a", "web", 1))
		all, rv, err := st.List("ConfigMap", "")
		if err != nil {
			t.Fatal(err)
		}
		if rv != 4 {
			t.Errorf("list rv = %d, want 4", rv)
		}
		var names []string
		for _, o := range all {
			names = append(names, objects.KeyOf(o).String())
		}
		if fmt.Sprint(names) != "[ConfigMap/a/x ConfigMap/a/y ConfigMap/b/z]" {
			t.Errorf("list = %v", names)
		}
		inA, _, _ := st.List("ConfigMap", "a")
		if len(inA) != 2 {
			t.Errorf("namespace a: %d objects", len(inA))
		}
		every, _, _ := st.List("", "")
		if len(every) != 4 || objects.KindOf(every[3]) != "Deployment" && objects.KindOf(every[0]) != "Deployment" {
			t.Errorf("all kinds: %d objects", len(every))
		}
	})
}

func TestUpdateRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		d := deployment("default", "web", 2)
		create(t, st, d)
		uid := d.GetUID()
		// Controllers write status; a spec update must keep it.
		status := deployment("default", "web", 2)
		status.Status.Replicas = 2
		update(t, st, status, true)
		tests := []struct {
			name    string
			change  func(d *appsv1.Deployment)
			wantRV  string
			wantGen int64
		}{
			{"label only: no generation bump", func(d *appsv1.Deployment) { d.Labels["tier"] = "front" }, "3", 1},
			{"same again: no-op", func(d *appsv1.Deployment) { d.Labels["tier"] = "front" }, "3", 1},
			{"spec change: generation 2", func(d *appsv1.Deployment) { d.Labels["tier"] = "front"; *d.Spec.Replicas = 3 }, "4", 2},
			{"status in an update is ignored", func(d *appsv1.Deployment) {
				d.Labels["tier"] = "front"
				*d.Spec.Replicas = 3
				d.Status.Replicas = 99
			}, "4", 2},
		}
		for _, tc := range tests {
			next := deployment("default", "web", 2)
			tc.change(next)
			update(t, st, next, false)
			got := mustGet(t, st, next).(*appsv1.Deployment)
			if got.ResourceVersion != tc.wantRV || got.Generation != tc.wantGen {
				t.Errorf("%s: rv %s gen %d, want rv %s gen %d", tc.name, got.ResourceVersion, got.Generation, tc.wantRV, tc.wantGen)
			}
			if got.Status.Replicas != 2 || got.UID != uid {
				t.Errorf("%s: status %d uid %s: stored status or uid lost", tc.name, got.Status.Replicas, got.UID)
			}
			if next.ResourceVersion != tc.wantRV {
				t.Errorf("%s: caller's object rv %s", tc.name, next.ResourceVersion)
			}
		}
	})
}

func TestUpdateStatusRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		d := deployment("default", "web", 2)
		create(t, st, d)
		s := deployment("default", "web", 7) // spec in a status update is ignored
		s.Status.ReadyReplicas = 1
		update(t, st, s, true)
		got := mustGet(t, st, d).(*appsv1.Deployment)
		if got.Status.ReadyReplicas != 1 || *got.Spec.Replicas != 2 || got.Generation != 1 || got.ResourceVersion != "2" {
			t.Errorf("after status update: %+v", got)
		}
		update(t, st, s, true)
		if st.ResourceVersion() != 2 {
			t.Errorf("equal status update bumped rv to %d", st.ResourceVersion())
		}
	})
}

func TestConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		d := deployment("default", "web", 2)
		create(t, st, d)
		stale := mustGet(t, st, d).(*appsv1.Deployment)
		fresh := mustGet(t, st, d).(*appsv1.Deployment)
		*fresh.Spec.Replicas = 5
		update(t, st, fresh, false)
		*stale.Spec.Replicas = 4
		for _, status := range []bool{false, true} {
			err := st.Update(func(tx *Tx) error {
				if status {
					return tx.UpdateStatus(stale)
				}
				return tx.Update(stale)
			})
			if !errors.Is(err, ErrConflict) {
				t.Errorf("stale write (status %v): %v, want ErrConflict", status, err)
			}
		}
		if *mustGet(t, st, d).(*appsv1.Deployment).Spec.Replicas != 5 {
			t.Error("stale write won")
		}
	})
}

func TestErrorAbortsTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		create(t, st, configMap("default", "keep", nil))
		err := st.Update(func(tx *Tx) error {
			if err := tx.Create(configMap("default", "new", nil)); err != nil {
				return err
			}
			if err := tx.Delete(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "keep"}); err != nil {
				return err
			}
			if err := tx.PutMeta("x", 1); err != nil {
				return err
			}
			return errors.New("boom")
		})
		if err == nil || err.Error() != "boom" {
			t.Fatalf("err = %v", err)
		}
		objs, rv, _ := st.List("ConfigMap", "")
		if len(objs) != 1 || rv != 1 || st.ResourceVersion() != 1 {
			t.Errorf("aborted txn left %d objects, rv %d", len(objs), rv)
		}
		if ok, _ := st.GetMeta("x", new(int)); ok {
			t.Error("aborted meta write is visible")
		}
	})
}

func TestTxSeesOwnWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		create(t, st, configMap("default", "a", nil))
		err := st.Update(func(tx *Tx) error {
			if err := tx.Create(configMap("default", "b", nil)); err != nil {
				return err
			}
			if err := tx.Delete(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "a"}); err != nil {
				return err
			}
			if _, err := tx.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "b"}); err != nil {
				return fmt.Errorf("own create not visible: %w", err)
			}
			l, err := tx.List("ConfigMap", "default")
			if err != nil {
				return err
			}
			if len(l) != 1 || l[0].GetName() != "b" {
				return fmt.Errorf("tx list = %d objects", len(l))
			}
			if err := tx.Delete(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "a"}); !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("second delete: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestMeta(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		type rec struct{ Commit string }
		err := st.Update(func(tx *Tx) error {
			for _, k := range []string{"source/b", "source/a", "alloc/x"} {
				if err := tx.PutMeta(k, rec{k}); err != nil {
					return err
				}
			}
			var r rec
			if ok, err := tx.GetMeta("source/a", &r); !ok || err != nil || r.Commit != "source/a" {
				return fmt.Errorf("tx meta: %v %v %v", ok, err, r)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.ResourceVersion() != 0 {
			t.Errorf("meta writes bumped rv to %d", st.ResourceVersion())
		}
		l, err := st.ListMeta("source/")
		if err != nil || len(l) != 2 || l[0].Key != "source/a" || l[1].Key != "source/b" {
			t.Errorf("list meta = %v %v", l, err)
		}
		if ok, _ := st.GetMeta("source/c", &rec{}); ok {
			t.Error("absent meta found")
		}
		if err := st.Update(func(tx *Tx) error { return tx.DeleteMeta("source/a") }); err != nil {
			t.Fatal(err)
		}
		if ok, _ := st.GetMeta("source/a", &rec{}); ok {
			t.Error("deleted meta found")
		}
	})
}

func update(t testing.TB, st *Store, o objects.Object, status bool) {
	t.Helper()
	err := st.Update(func(tx *Tx) error {
		if status {
			return tx.UpdateStatus(o)
		}
		return tx.Update(o)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rvOf(o objects.Object) uint64 {
	n, _ := strconv.ParseUint(o.GetResourceVersion(), 10, 64)
	return n
}
