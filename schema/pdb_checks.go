package schema

import (
	"strconv"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// pdbChecks are the API server's rules for a PodDisruptionBudget spec
// (Kubernetes' ValidatePodDisruptionBudgetSpec) that relate fields or
// read a value CUE sees only as a string: minAvailable and maxUnavailable
// exclude each other, a percentage is at most 100%, and the selector's
// expressions are well formed. Neither of the two is valid, as in
// Kubernetes: such a budget allows every eviction.
func pdbChecks(spec *policyv1.PodDisruptionBudgetSpec, add func(string, ...string)) {
	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		add("minAvailable and maxUnavailable cannot be both set; keep one of them", "spec", "maxUnavailable")
	}
	for field, v := range map[string]*intstr.IntOrString{"minAvailable": spec.MinAvailable, "maxUnavailable": spec.MaxUnavailable} {
		if v != nil && over100Percent(*v) {
			add("must not be greater than 100%", "spec", field)
		}
	}
	if spec.Selector != nil {
		if _, err := metav1.LabelSelectorAsSelector(spec.Selector); err != nil {
			add(err.Error(), "spec", "selector")
		}
	}
}

// over100Percent is Kubernetes' IsNotMoreThan100Percent, negated.
func over100Percent(v intstr.IntOrString) bool {
	if v.Type != intstr.String {
		return false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	return err == nil && n > 100
}
