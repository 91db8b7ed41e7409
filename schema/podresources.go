package schema

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// podResourceChecks are Kubernetes' consistency rules for pod-level
// resources (validatePodResourceConsistency): pod requests are at most pod
// limits, at least the sum of the regular containers' requests, and no
// container's limit exceeds the pod's.
func podResourceChecks(spec *corev1.PodSpec, add func(string, ...string), prefix ...string) {
	if spec.Resources == nil {
		return
	}
	p := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
	pod := spec.Resources
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := pod.Requests[name]
		lim, hasLim := pod.Limits[name]
		if hasReq && hasLim && req.Cmp(lim) > 0 {
			add("must be less than or equal to the pod-level "+string(name)+" limit "+lim.String(), p("resources", "requests", string(name))...)
		}
		if hasReq {
			sum := req.DeepCopy()
			sum.Set(0)
			for _, c := range spec.Containers {
				if q, ok := c.Resources.Requests[name]; ok {
					sum.Add(q)
				}
			}
			if sum.Cmp(req) > 0 {
				add("must be greater than or equal to the aggregate container requests of "+string(name)+" ("+sum.String()+")",
					p("resources", "requests", string(name))...)
			}
		}
		if hasLim {
			for i, c := range spec.Containers {
				if q, ok := c.Resources.Limits[name]; ok && q.Cmp(lim) > 0 {
					add("must be less than or equal to the pod-level "+string(name)+" limit "+lim.String(),
						p("containers", fmt.Sprint(i), "resources", "limits", string(name))...)
				}
			}
		}
	}
}
