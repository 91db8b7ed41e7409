package disruption

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func budget(min, maxUnavailable *intstr.IntOrString) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Generation: 1},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: min, MaxUnavailable: maxUnavailable,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
}

// pod is a pod of app=web owned by ReplicaSet rs (none: unmanaged).
func pod(name, rs string, ready bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": "web"}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if rs != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs, UID: types.UID(rs), Controller: ptr.To(true)}}
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	return p
}

func int32p(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
func pct(s string) *intstr.IntOrString   { v := intstr.FromString(s); return &v }

// scales: ReplicaSet "rs" has 3 replicas, "rs4" 4; others are not found.
func scales(ref metav1.OwnerReference, _ string) (Controller, bool) {
	switch ref.Name {
	case "rs":
		return Controller{UID: "rs", Replicas: 3}, true
	case "rs4":
		return Controller{UID: "rs4", Replicas: 4}, true
	}
	return Controller{}, false
}

func TestStatus(t *testing.T) {
	terminating := pod("d", "rs", true)
	terminating.DeletionTimestamp = &metav1.Time{Time: t0}
	evicted := budget(int32p(1), nil)
	evicted.Status.DisruptedPods = map[string]metav1.Time{"a": metav1.NewTime(t0.Add(-time.Minute)), "b": metav1.NewTime(t0.Add(-3 * time.Minute))}
	three := []*corev1.Pod{pod("a", "rs", true), pod("b", "rs", true), pod("c", "rs", true)}
	cases := []struct {
		name string
		pdb  *policyv1.PodDisruptionBudget
		pods []*corev1.Pod
		// want: current desired expected allowed, condition reason, recheck
		want    string
		reasons string
	}{
		{"minAvailable 2 of 3 ready", budget(int32p(2), nil), three, "3 2 3 1 SufficientPods 0s", ""},
		{"minAvailable 3 of 3 ready", budget(int32p(3), nil), three, "3 3 3 0 InsufficientPods 0s", ""},
		{"minAvailable counts pods, not replicas", budget(int32p(1), nil), three[:1], "1 1 1 0 InsufficientPods 0s", ""},
		{"unready and terminating pods are not healthy", budget(int32p(1), nil),
			[]*corev1.Pod{pod("a", "rs", true), pod("b", "rs", false), terminating}, "1 1 3 0 InsufficientPods 0s", ""},
		{"minAvailable 50% of 3 rounds up to 2", budget(pct("50%"), nil), three, "3 2 3 1 SufficientPods 0s", ""},
		{"maxUnavailable 1 of 3 replicas", budget(nil, int32p(1)), three[:2], "2 2 3 0 InsufficientPods 0s", ""},
		{"maxUnavailable 25% of 4+3 rounds up to 2", budget(nil, pct("25%")),
			[]*corev1.Pod{pod("a", "rs", true), pod("b", "rs4", true), pod("c", "rs4", true), pod("e", "rs", true), pod("f", "rs", true), pod("g", "rs", true), pod("h", "rs4", true)},
			"7 5 7 2 SufficientPods 0s", ""},
		{"maxUnavailable 0", budget(nil, int32p(0)), three, "3 3 3 0 InsufficientPods 0s", ""},
		{"no pods: nothing allowed", budget(nil, int32p(1)), nil, "0 0 0 0 InsufficientPods 0s", "NoPods"},
		{"a recently evicted pod is not healthy; an old entry is dropped", evicted, three, "2 1 3 1 SufficientPods 1m0s", ""},
		{"unmanaged pods with an integer minAvailable", budget(int32p(1), nil), []*corev1.Pod{pod("a", "", true), pod("b", "", true)}, "2 1 2 1 SufficientPods 0s", ""},
		{"unmanaged pods with a percentage", budget(pct("50%"), nil), []*corev1.Pod{pod("a", "rs", true), pod("b", "", true)}, "2 2 3 0 InsufficientPods 0s", "UnmanagedPods"},
		{"a controller not found fails safe", budget(nil, int32p(1)), []*corev1.Pod{pod("a", "gone", true)}, "0 0 0 0 SyncFailed 0s", "CalculateExpectedPodCountFailed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Status(c.pdb, c.pods, scales, t0)
			st := res.Status
			cond := st.Conditions[0]
			got := fmt.Sprintf("%d %d %d %d %s %s", st.CurrentHealthy, st.DesiredHealthy, st.ExpectedPods, st.DisruptionsAllowed, cond.Reason, res.Recheck)
			if got != c.want {
				t.Errorf("status (current desired expected allowed reason recheck) = %q, want %q", got, c.want)
			}
			var reasons string
			for _, e := range res.Events {
				reasons += e.Reason
			}
			if reasons != c.reasons {
				t.Errorf("events %q, want %q", reasons, c.reasons)
			}
			if !res.Changed {
				t.Error("a new status must be written")
			}
			if cond.Reason != "SyncFailed" && (st.ObservedGeneration != 1 || cond.ObservedGeneration != 1) {
				t.Errorf("observedGeneration %d, condition's %d; want 1", st.ObservedGeneration, cond.ObservedGeneration)
			}
		})
	}
}

// TestStatusStable: a status computed again from the same input is not
// written again, and the condition keeps its transition time.
func TestStatusStable(t *testing.T) {
	pdb := budget(int32p(2), nil)
	pods := []*corev1.Pod{pod("a", "rs", true), pod("b", "rs", true), pod("c", "rs", true)}
	pdb.Status = Status(pdb, pods, scales, t0).Status
	again := Status(pdb, pods, scales, t0.Add(time.Hour))
	if again.Changed {
		t.Fatalf("unchanged input rewrote the status: %+v", again.Status)
	}
	pods[0].Status.Conditions[0].Status = corev1.ConditionFalse
	next := Status(pdb, pods, scales, t0.Add(time.Hour))
	if !next.Changed || next.Status.DisruptionsAllowed != 0 || !next.Status.Conditions[0].LastTransitionTime.Time.Equal(t0.Add(time.Hour)) {
		t.Fatalf("a pod turning unready: %+v", next.Status)
	}
}
