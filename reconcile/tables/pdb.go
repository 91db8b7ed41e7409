package tables

import (
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// pdbRow is kubectl's table for PodDisruptionBudgets: N/A for the bound
// the budget does not set.
func pdbRow(b *policyv1.PodDisruptionBudget, age string) (header, cols []string) {
	bound := func(v *intstr.IntOrString) string {
		if v == nil {
			return "N/A"
		}
		return v.String()
	}
	return []string{"NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"},
		[]string{b.Name, bound(b.Spec.MinAvailable), bound(b.Spec.MaxUnavailable), fmt.Sprint(b.Status.DisruptionsAllowed), age}
}
