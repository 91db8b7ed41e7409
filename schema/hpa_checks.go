package schema

import (
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// hpaChecks are the API server's cross-field rules for an autoscaler
// (Kubernetes' validateHorizontalPodAutoscalerSpec) that schema.cue cannot
// say, and the reasons for the metric types reconcile does not serve.
func hpaChecks(h *autoscalingv2.HorizontalPodAutoscaler, add func(string, ...string)) {
	s := h.Spec
	if s.MinReplicas != nil && s.MaxReplicas < *s.MinReplicas {
		add(fmt.Sprintf("must be greater than or equal to `minReplicas` (%d)", *s.MinReplicas), "spec", "maxReplicas")
	}
	for i, m := range s.Metrics {
		idx := fmt.Sprint(i)
		if m.Type != autoscalingv2.ResourceMetricSourceType {
			add(fmt.Sprintf("metrics of type %s need a custom or external metrics API, which reconcile does not serve: only Resource metrics (the pods' cpu and memory) are supported", m.Type), "spec", "metrics", idx, "type")
			continue
		}
		if m.Resource == nil {
			add("must populate information for the given metric source (resource)", "spec", "metrics", idx, "resource")
			continue
		}
		t := m.Resource.Target
		switch t.Type {
		case autoscalingv2.UtilizationMetricType:
			if t.AverageUtilization == nil {
				add("must set averageUtilization with target type Utilization", "spec", "metrics", idx, "resource", "target", "averageUtilization")
			}
			if t.AverageValue != nil {
				add("may not set averageValue with target type Utilization", "spec", "metrics", idx, "resource", "target", "averageValue")
			}
		case autoscalingv2.AverageValueMetricType:
			if t.AverageValue == nil {
				add("must set averageValue with target type AverageValue", "spec", "metrics", idx, "resource", "target", "averageValue")
			}
			if t.AverageUtilization != nil {
				add("may not set averageUtilization with target type AverageValue", "spec", "metrics", idx, "resource", "target", "averageUtilization")
			}
		default:
			add("must be either Utilization or AverageValue for a Resource metric", "spec", "metrics", idx, "resource", "target", "type")
		}
	}
}
