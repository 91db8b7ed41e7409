package tables

import (
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// hpaRow is kubectl's table for HorizontalPodAutoscalers: TARGETS is
// "current/target" per metric (cpu: 120%/50%), <unknown> before the first
// measurement.
func hpaRow(h *autoscalingv2.HorizontalPodAutoscaler, age string) (header, cols []string) {
	var targets []string
	for i, m := range h.Spec.Metrics {
		if m.Resource == nil {
			continue
		}
		cur := "<unknown>"
		var st *autoscalingv2.ResourceMetricStatus
		if i < len(h.Status.CurrentMetrics) {
			st = h.Status.CurrentMetrics[i].Resource
		}
		t := m.Resource.Target
		if t.AverageUtilization != nil {
			if st != nil && st.Current.AverageUtilization != nil {
				cur = fmt.Sprintf("%d%%", *st.Current.AverageUtilization)
			}
			targets = append(targets, fmt.Sprintf("%s: %s/%d%%", m.Resource.Name, cur, *t.AverageUtilization))
		} else if t.AverageValue != nil {
			if st != nil && st.Current.AverageValue != nil {
				cur = st.Current.AverageValue.String()
			}
			targets = append(targets, fmt.Sprintf("%s: %s/%s", m.Resource.Name, cur, t.AverageValue.String()))
		}
	}
	if len(targets) == 0 {
		targets = []string{"<none>"}
	}
	minR := int32(1)
	if h.Spec.MinReplicas != nil {
		minR = *h.Spec.MinReplicas
	}
	ref := h.Spec.ScaleTargetRef
	return []string{"NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"},
		[]string{h.Name, ref.Kind + "/" + ref.Name, strings.Join(targets, ", "), fmt.Sprint(minR), fmt.Sprint(h.Spec.MaxReplicas), fmt.Sprint(h.Status.CurrentReplicas), age}
}
