package tables

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// quotaRow is kubectl's table for ResourceQuotas: used/hard per resource,
// limits.* under LIMIT, the rest under REQUEST.
func quotaRow(q *corev1.ResourceQuota, age string) (header, cols []string) {
	var req, lim []string
	for _, name := range slices.Sorted(maps.Keys(q.Status.Hard)) {
		used, hard := q.Status.Used[name], q.Status.Hard[name]
		s := fmt.Sprintf("%s: %s/%s", name, used.String(), hard.String())
		if strings.HasPrefix(string(name), "limits.") {
			lim = append(lim, s)
		} else {
			req = append(req, s)
		}
	}
	return []string{"NAME", "AGE", "REQUEST", "LIMIT"}, []string{q.Name, age, strings.Join(req, ", "), strings.Join(lim, ", ")}
}

// limitRangeRow is kubectl's table for LimitRanges.
func limitRangeRow(lr *corev1.LimitRange) (header, cols []string) {
	return []string{"NAME", "CREATED AT"}, []string{lr.Name, lr.CreationTimestamp.UTC().Format(time.RFC3339)}
}
