package store

import (
	"context"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// BindPod writes what UpdateWithStatus of the re-read pod would (node,
// conditions, nomination cleared, generation and resourceVersion bumped,
// one watch event) and leaves alone a pod that is gone, replaced or
// already bound, without touching the stored pod it read.
func TestBindPodRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1"}}
		p.Spec.Containers = []corev1.Container{{Name: "app", Image: "img"}}
		p.Status.NominatedNodeName = "n0"
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
		objects.SetTypeMeta(p, "Pod")
		create(t, st, p)
		key := objects.KeyOf(p)
		rv := st.ResourceVersion()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		evs, err := st.Watch(ctx, rv)
		if err != nil {
			t.Fatal(err)
		}
		scheduled := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}
		conds := func(stored *corev1.Pod) []corev1.PodCondition {
			return append(append([]corev1.PodCondition(nil), stored.Status.Conditions...), scheduled)
		}
		var bound *corev1.Pod
		if err := st.Update(func(tx *Tx) error { bound, err = tx.BindPod(key, p.UID, "n1", conds); return err }); err != nil {
			t.Fatal(err)
		}
		got := mustGet(t, st, p).(*corev1.Pod)
		if bound == nil || got.Spec.NodeName != "n1" || got.Status.NominatedNodeName != "" || len(got.Status.Conditions) != 2 ||
			got.Generation != p.Generation+1 || got.ResourceVersion != strconv.FormatUint(rv+1, 10) || got.UID != p.UID || len(got.Spec.Containers) != 1 {
			t.Fatalf("bound pod: %+v", got)
		}
		if ev := <-evs; ev.Type != Modified || ev.Object.(*corev1.Pod).Spec.NodeName != "n1" || ev.ResourceVersion != rv+1 {
			t.Fatalf("watch event: %+v", ev)
		}
		for name, tc := range map[string]struct {
			key objects.Key
			uid string
		}{
			"already bound": {key, string(p.UID)},
			"another pod":   {objects.Key{Kind: "Pod", Namespace: "default", Name: "web-1"}, "other-uid"},
			"gone":          {objects.Key{Kind: "Pod", Namespace: "default", Name: "web-2"}, string(p.UID)},
		} {
			var b *corev1.Pod
			if err := st.Update(func(tx *Tx) error { b, err = tx.BindPod(tc.key, types.UID(tc.uid), "n2", conds); return err }); err != nil || b != nil {
				t.Errorf("%s: BindPod = %v, %v; want nil, nil", name, b, err)
			}
		}
		if st.ResourceVersion() != rv+1 || mustGet(t, st, p).(*corev1.Pod).Spec.NodeName != "n1" {
			t.Errorf("a skipped binding wrote: rv %d, want %d", st.ResourceVersion(), rv+1)
		}
	})
}
