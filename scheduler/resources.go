package scheduler

import corev1 "k8s.io/api/core/v1"

// Resources is an amount of the resources the scheduler accounts for.
type Resources struct {
	MilliCPU int64 // millicores
	Memory   int64 // bytes
	Pods     int64
}

func (r *Resources) add(o Resources) {
	r.MilliCPU += o.MilliCPU
	r.Memory += o.Memory
	r.Pods += o.Pods
}

// Scoring a pod that requests nothing as if it requested nothing would pile
// every such pod onto one node; Kubernetes scores them with these non-zero
// defaults (filtering still uses the real, zero, request).
const (
	defaultMilliCPURequest = 100
	defaultMemoryRequest   = 200 * 1024 * 1024
)

// PodRequests returns what a pod asks for: the sum over its containers, or
// the largest init container if that is more (init containers run one at a
// time, before the others), plus one pod slot. A container with a limit but
// no request requests its limit, as Kubernetes defaults it.
func PodRequests(pod *corev1.Pod) Resources {
	var sum Resources
	for i := range pod.Spec.Containers {
		c := containerRequests(&pod.Spec.Containers[i])
		sum.add(c)
	}
	for i := range pod.Spec.InitContainers {
		c := containerRequests(&pod.Spec.InitContainers[i])
		sum.MilliCPU = max(sum.MilliCPU, c.MilliCPU)
		sum.Memory = max(sum.Memory, c.Memory)
	}
	if pod.Spec.Overhead != nil {
		sum.add(fromList(pod.Spec.Overhead))
	}
	sum.Pods = 1
	return sum
}

// scoringRequests is PodRequests with Kubernetes' non-zero defaults for
// containers that request no cpu or memory.
func scoringRequests(pod *corev1.Pod) Resources {
	var sum Resources
	for i := range pod.Spec.Containers {
		c := containerRequests(&pod.Spec.Containers[i])
		if c.MilliCPU == 0 {
			c.MilliCPU = defaultMilliCPURequest
		}
		if c.Memory == 0 {
			c.Memory = defaultMemoryRequest
		}
		sum.add(c)
	}
	sum.Pods = 1
	return sum
}

func containerRequests(c *corev1.Container) Resources {
	r := fromList(c.Resources.Requests)
	lim := fromList(c.Resources.Limits)
	if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
		r.MilliCPU = lim.MilliCPU
	}
	if _, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok {
		r.Memory = lim.Memory
	}
	return r
}

func fromList(l corev1.ResourceList) Resources {
	var r Resources
	if q, ok := l[corev1.ResourceCPU]; ok {
		r.MilliCPU = q.MilliValue()
	}
	if q, ok := l[corev1.ResourceMemory]; ok {
		r.Memory = q.Value()
	}
	if q, ok := l[corev1.ResourcePods]; ok {
		r.Pods = q.Value()
	}
	return r
}

// NodeAllocatable is what the node offers pods: status.allocatable, or
// status.capacity for a resource the node did not report as allocatable.
func NodeAllocatable(node *corev1.Node) Resources {
	a := fromList(node.Status.Allocatable)
	c := fromList(node.Status.Capacity)
	has := func(name corev1.ResourceName) bool { _, ok := node.Status.Allocatable[name]; return ok }
	if !has(corev1.ResourceCPU) {
		a.MilliCPU = c.MilliCPU
	}
	if !has(corev1.ResourceMemory) {
		a.Memory = c.Memory
	}
	if !has(corev1.ResourcePods) {
		a.Pods = c.Pods
	}
	return a
}
