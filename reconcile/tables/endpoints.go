package tables

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// endpointsColumn is kubectl's ENDPOINTS column: the ready ip:port pairs,
// the first three and "+ N more...", or <none>.
func endpointsColumn(ep *corev1.Endpoints) string {
	var all []string
	for _, ss := range ep.Subsets {
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				all = append(all, fmt.Sprintf("%s:%d", a.IP, p.Port))
			}
		}
	}
	switch {
	case len(all) == 0:
		return "<none>"
	case len(all) > 3:
		return strings.Join(all[:3], ",") + fmt.Sprintf(" + %d more...", len(all)-3)
	}
	return strings.Join(all, ",")
}
