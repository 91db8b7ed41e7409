package disruption

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// status is a budget with observedGeneration 1 and the given counts.
func withStatus(b *policyv1.PodDisruptionBudget, current, desired, allowed int32) *policyv1.PodDisruptionBudget {
	b.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, CurrentHealthy: current, DesiredHealthy: desired,
		ExpectedPods: current, DisruptionsAllowed: allowed}
	return b
}

func TestEvict(t *testing.T) {
	ready, unready := pod("a", "rs", true), pod("a", "rs", false)
	pending := pod("a", "rs", false)
	pending.Status.Phase = corev1.PodPending
	alwaysAllow := withStatus(budget(int32p(3), nil), 1, 3, 0)
	alwaysAllow.Spec.UnhealthyPodEvictionPolicy = ptr.To(policyv1.AlwaysAllow)
	stale := withStatus(budget(int32p(1), nil), 3, 1, 2)
	stale.Generation = 2
	other := withStatus(budget(int32p(1), nil), 3, 1, 2)
	other.Name = "other"
	cases := []struct {
		name    string
		pdbs    []*policyv1.PodDisruptionBudget
		pod     *corev1.Pod
		reason  apierrors.Reason // "" allowed
		decrRef bool             // the budget is decremented
	}{
		{"no budget", nil, ready, "", false},
		{"allowed: decremented", []*policyv1.PodDisruptionBudget{withStatus(budget(int32p(2), nil), 3, 2, 1)}, ready, "", true},
		{"none allowed: 429", []*policyv1.PodDisruptionBudget{withStatus(budget(int32p(2), nil), 2, 2, 0)}, ready, apierrors.ReasonTooManyRequests, false},
		{"status older than spec: 429", []*policyv1.PodDisruptionBudget{stale}, ready, apierrors.ReasonTooManyRequests, false},
		{"two budgets: 500", []*policyv1.PodDisruptionBudget{withStatus(budget(int32p(1), nil), 3, 1, 2), other}, ready, apierrors.ReasonInternalError, false},
		{"negative: 403", []*policyv1.PodDisruptionBudget{withStatus(budget(int32p(1), nil), 3, 1, -1)}, ready, apierrors.ReasonForbidden, false},
		{"pending pods ignore budgets", []*policyv1.PodDisruptionBudget{withStatus(budget(int32p(2), nil), 2, 2, 0)}, pending, "", false},
		{"unready pod while the budget is met: no decrement", []*policyv1.PodDisruptionBudget{withStatus(budget(int32p(2), nil), 2, 2, 0)}, unready, "", false},
		{"unready pod while the budget is not met: 429", []*policyv1.PodDisruptionBudget{withStatus(budget(int32p(2), nil), 1, 2, 0)}, unready, apierrors.ReasonTooManyRequests, false},
		{"unready pod under AlwaysAllow", []*policyv1.PodDisruptionBudget{alwaysAllow}, unready, "", false},
		{"ready pod under AlwaysAllow still needs the budget", []*policyv1.PodDisruptionBudget{alwaysAllow}, ready, apierrors.ReasonTooManyRequests, false},
		{"a budget of another app", []*policyv1.PodDisruptionBudget{func() *policyv1.PodDisruptionBudget {
			b := withStatus(budget(int32p(2), nil), 2, 2, 0)
			b.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
			return b
		}()}, ready, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			upd, err := Evict(c.pdbs, c.pod, t0)
			if c.reason == "" && err != nil || c.reason != "" && !apierrors.Is(err, c.reason) {
				t.Fatalf("err = %v, want reason %q", err, c.reason)
			}
			if c.reason == apierrors.ReasonTooManyRequests && err.Error() != RefusedMessage {
				t.Errorf("message %q, want Kubernetes' %q", err, RefusedMessage)
			}
			if (upd != nil) != c.decrRef {
				t.Fatalf("update %v, want one: %v", upd, c.decrRef)
			}
			if upd == nil {
				return
			}
			if upd.Status.DisruptionsAllowed != c.pdbs[0].Status.DisruptionsAllowed-1 || !upd.Status.DisruptedPods["a"].Time.Equal(t0) {
				t.Errorf("decremented status %+v", upd.Status)
			}
			if c.pdbs[0].Status.DisruptedPods != nil {
				t.Error("the input budget was changed")
			}
			if upd.Status.DisruptionsAllowed == 0 && (len(upd.Status.Conditions) != 1 || upd.Status.Conditions[0].Reason != policyv1.InsufficientPodsReason) {
				t.Errorf("the last allowed disruption must set InsufficientPods: %+v", upd.Status.Conditions)
			}
		})
	}
}

// TestEvictThenStatus: the controller keeps an evicted pod out of the
// healthy count until it terminates, so a second eviction right after the
// first is refused.
func TestEvictThenStatus(t *testing.T) {
	pods := []*corev1.Pod{pod("a", "rs", true), pod("b", "rs", true), pod("c", "rs", true)}
	pdb := budget(int32p(2), nil)
	pdb.Status = Status(pdb, pods, scales, t0).Status
	upd, err := Evict([]*policyv1.PodDisruptionBudget{pdb}, pods[0], t0)
	if err != nil || upd == nil {
		t.Fatalf("first eviction: %v", err)
	}
	res := Status(upd, pods, scales, t0.Add(time.Second))
	if res.Status.DisruptionsAllowed != 0 || res.Status.CurrentHealthy != 2 || res.Recheck <= 0 {
		t.Fatalf("after the eviction: %+v recheck %v", res.Status, res.Recheck)
	}
	if _, err := Evict([]*policyv1.PodDisruptionBudget{{ObjectMeta: upd.ObjectMeta, Spec: upd.Spec, Status: res.Status}}, pods[1], t0.Add(time.Second)); !apierrors.Is(err, apierrors.ReasonTooManyRequests) {
		t.Fatalf("second eviction: %v, want 429", err)
	}
}

func TestViolating(t *testing.T) {
	pods := []*corev1.Pod{pod("a", "rs", true), pod("b", "rs", true), pod("c", "rs", true)}
	db := pod("d", "rs", true)
	db.Labels = map[string]string{"app": "db"}
	pdb := withStatus(budget(int32p(1), nil), 3, 1, 1)
	pdb.Status.DisruptedPods = map[string]metav1.Time{"a": metav1.NewTime(t0)}
	v, n := Violating(append(pods, db), []*policyv1.PodDisruptionBudget{pdb})
	// a: already counted; b spends the one allowed; c violates; d is not covered.
	if names(v) != "c" || names(n) != "a b d" {
		t.Fatalf("violating %q, not %q", names(v), names(n))
	}
	empty := withStatus(budget(int32p(1), nil), 3, 1, 0)
	empty.Spec.Selector = &metav1.LabelSelector{}
	if v, _ := Violating(pods, []*policyv1.PodDisruptionBudget{empty}); len(v) != 0 {
		t.Fatalf("an empty selector covers nothing in preemption: %q", names(v))
	}
}

func names(pods []*corev1.Pod) string {
	var s string
	for i, p := range pods {
		if i > 0 {
			s += " "
		}
		s += p.Name
	}
	return s
}
