package drain_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/drain"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// setBudget writes the budget's status as the disruption controller would.
func setBudget(t *testing.T, st *store.Store, allowed int32) {
	t.Helper()
	if err := st.Update(func(tx *store.Tx) error {
		o, err := tx.Get(objects.Key{Kind: "PodDisruptionBudget", Namespace: "default", Name: "web"})
		if err != nil {
			return err
		}
		b := o.(*policyv1.PodDisruptionBudget)
		b.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: b.Generation, CurrentHealthy: 2, DesiredHealthy: 2 - allowed,
			ExpectedPods: 2, DisruptionsAllowed: allowed}
		return tx.UpdateStatus(b)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestDrainWaitsForDisruptionBudget: the eviction API refuses pods whose
// budget allows no disruption with Kubernetes' 429 and words; drain says
// so, retries, evicts the other pods meanwhile, and goes on once the
// budget allows it, each eviction spending one disruption.
func TestDrainWaitsForDisruptionBudget(t *testing.T) {
	st, c := cluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go agent(ctx, st)
	var pods []*corev1.Pod
	for _, name := range []string{"web-1", "web-2", "db"} {
		p := pod(name, "ReplicaSet")
		if name != "db" {
			p.Labels = map[string]string{"app": "web"}
		}
		pods = append(pods, p)
	}
	create(t, st, pods...)
	if err := st.Update(func(tx *store.Tx) error {
		for _, p := range pods {
			o, err := tx.Get(objects.KeyOf(p))
			if err != nil {
				return err
			}
			q := o.(*corev1.Pod)
			q.Status.Phase = corev1.PodRunning
			q.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			if err := tx.UpdateStatus(q); err != nil {
				return err
			}
		}
		min := intstr.FromInt32(2)
		b := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &min, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
		objects.SetTypeMeta(b, "PodDisruptionBudget")
		return tx.Create(b)
	}); err != nil {
		t.Fatal(err)
	}
	setBudget(t, st, 0)

	var out testkit.SyncBuffer // the drain's goroutines write while the test reads
	done := make(chan error, 1)
	go func() {
		done <- drain.Drain(ctx, c, "n1", drain.Settings{Timeout: time.Minute, PollInterval: 10 * time.Millisecond, EvictionRetry: 20 * time.Millisecond}, &out)
	}()
	refused := `error when evicting pods/"web-1" -n "default" (will retry after 20ms): Cannot evict pod as it would violate the pod's disruption budget.`
	testkit.Eventually(t, 20*time.Second, "the refusal and the other pod's eviction", func() error {
		if !strings.Contains(out.String(), refused) {
			return fmt.Errorf("output so far:\n%s", out.String())
		}
		if left := storedPods(t, st); left != "web-1,web-2" {
			return fmt.Errorf("pods left: %s, want the budget's two", left)
		}
		return nil
	})
	select {
	case err := <-done:
		t.Fatalf("drain ended while the budget forbids it: %v\n%s", err, out.String())
	default:
	}
	setBudget(t, st, 2)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("drain: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("drain did not go on once the budget allowed it:\n%s", out.String())
	}
	o, err := st.Get(objects.Key{Kind: "PodDisruptionBudget", Namespace: "default", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	s := o.(*policyv1.PodDisruptionBudget).Status
	if s.DisruptionsAllowed != 0 || len(s.DisruptedPods) != 2 || s.Conditions[0].Reason != policyv1.InsufficientPodsReason {
		t.Errorf("the two evictions must spend the two disruptions: %+v", s)
	}
}
