package tables

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
)

// priorityClassRow is kubectl's table for PriorityClasses.
func priorityClassRow(pc *schedulingv1.PriorityClass, age string) (header, cols []string) {
	policy := corev1.PreemptLowerPriority
	if pc.PreemptionPolicy != nil {
		policy = *pc.PreemptionPolicy
	}
	return []string{"NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"},
		[]string{pc.Name, fmt.Sprint(pc.Value), fmt.Sprint(pc.GlobalDefault), age, string(policy)}
}
