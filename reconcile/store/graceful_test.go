package store

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func gracefulPod(name, node string, phase corev1.PodPhase, grace *int64) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	objects.SetTypeMeta(p, "Pod")
	p.Spec.NodeName = node
	p.Spec.TerminationGracePeriodSeconds = grace
	p.Spec.Containers = []corev1.Container{{Name: "c", Image: "img"}}
	p.Status.Phase = phase
	return p
}

func TestDeletePodGracefully(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ten, zero := int64(10), int64(0)
	cases := []struct {
		name      string
		pod       *corev1.Pod
		wantGone  bool
		wantGrace int64
	}{
		{"unbound pod goes at once", gracefulPod("a", "", corev1.PodPending, nil), true, 0},
		{"bound running pod waits 30s by default", gracefulPod("b", "n1", corev1.PodRunning, nil), false, 30},
		{"bound pod uses its terminationGracePeriodSeconds", gracefulPod("c", "n1", corev1.PodRunning, &ten), false, 10},
		{"grace period 0 deletes at once", gracefulPod("d", "n1", corev1.PodRunning, &zero), true, 0},
		{"succeeded pod goes at once", gracefulPod("e", "n1", corev1.PodSucceeded, nil), true, 0},
		{"failed pod goes at once", gracefulPod("f", "n1", corev1.PodFailed, nil), true, 0},
	}
	eachBackend(t, func(t *testing.T, st *Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := c.pod.DeepCopy()
				st.Update(func(tx *Tx) error { return tx.Create(p) })
				// Status is only written through UpdateStatus.
				if err := st.Update(func(tx *Tx) error { return tx.UpdateStatus(p) }); err != nil {
					t.Fatal(err)
				}
				key := objects.KeyOf(p)
				if err := st.Update(func(tx *Tx) error { return tx.DeletePodGracefully(key, now) }); err != nil {
					t.Fatal(err)
				}
				got, err := st.Get(key)
				if c.wantGone {
					if !errors.Is(err, ErrNotFound) {
						t.Fatalf("pod still stored (err %v): %+v", err, got)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				gp := got.(*corev1.Pod)
				if gp.DeletionTimestamp == nil || !gp.DeletionTimestamp.Time.Equal(now) {
					t.Fatalf("deletionTimestamp = %v, want %v", gp.DeletionTimestamp, now)
				}
				if gp.DeletionGracePeriodSeconds == nil || *gp.DeletionGracePeriodSeconds != c.wantGrace {
					t.Fatalf("deletionGracePeriodSeconds = %v, want %d", gp.DeletionGracePeriodSeconds, c.wantGrace)
				}
				if gp.Status.Phase != c.pod.Status.Phase {
					t.Fatalf("status lost: phase %q", gp.Status.Phase)
				}
				if !PodTerminating(gp) {
					t.Fatal("PodTerminating = false")
				}
				// A second delete later must not move the deadline.
				rv := gp.ResourceVersion
				if err := st.Update(func(tx *Tx) error { return tx.DeletePodGracefully(key, now.Add(time.Minute)) }); err != nil {
					t.Fatal(err)
				}
				again, _ := st.Get(key)
				if again.GetResourceVersion() != rv || !again.(*corev1.Pod).DeletionTimestamp.Time.Equal(now) {
					t.Fatalf("second delete changed the pod: rv %s→%s, deletionTimestamp %v", rv, again.GetResourceVersion(), again.(*corev1.Pod).DeletionTimestamp)
				}
			})
		}
	})
}

func TestDeleteGracefullyOtherKindsAndMissing(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		cm := configMap("default", "cfg", map[string]string{"a": "b"})
		create(t, st, cm)
		now := time.Now()
		if err := st.Update(func(tx *Tx) error { return tx.DeleteGracefully(objects.KeyOf(cm), now) }); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(objects.KeyOf(cm)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("configmap still stored: %v", err)
		}
		missing := objects.Key{Kind: "Pod", Namespace: "default", Name: "nope"}
		err := st.Update(func(tx *Tx) error { return tx.DeletePodGracefully(missing, now) })
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing pod: err %v, want ErrNotFound", err)
		}
	})
}
