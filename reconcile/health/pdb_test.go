package health

import (
	"strings"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodDisruptionBudget(t *testing.T) {
	with := func(status metav1.ConditionStatus, reason, msg string) *policyv1.PodDisruptionBudget {
		return &policyv1.PodDisruptionBudget{Status: policyv1.PodDisruptionBudgetStatus{CurrentHealthy: 2, DesiredHealthy: 2,
			Conditions: []metav1.Condition{{Type: policyv1.DisruptionAllowedCondition, Status: status, Reason: reason, Message: msg}}}}
	}
	cases := []struct {
		name string
		pdb  *policyv1.PodDisruptionBudget
		want Status
		msg  string
	}{
		{"no status yet", &policyv1.PodDisruptionBudget{}, Progressing, "Waiting for status"},
		{"disruptions allowed", with(metav1.ConditionTrue, policyv1.SufficientPodsReason, ""), Healthy, "2 healthy pods"},
		{"none allowed is a valid choice", with(metav1.ConditionFalse, policyv1.InsufficientPodsReason, ""), Healthy, "0 disruptions allowed"},
		{"pods not countable", with(metav1.ConditionFalse, policyv1.SyncFailedReason, `found no controllers for pod "a"`), Degraded, `SyncFailed: found no controllers`},
	}
	for _, c := range cases {
		got, msg := For(PodDisruptionBudget)(c.pdb)
		if got != c.want || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: got %s %q, want %s containing %q", c.name, got, msg, c.want, c.msg)
		}
	}
}
