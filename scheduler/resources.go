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
// no request requests its limit, as Kubernetes defaults it. Pod-level
// requests (spec.resources) replace the containers' for cpu and memory.
func PodRequests(pod *corev1.Pod) Resources {
	sum := containersRequests(pod)
	cpu, mem := podLevelRequests(pod, sum)
	if cpu != nil {
		sum.MilliCPU = *cpu
	}
	if mem != nil {
		sum.Memory = *mem
	}
	if pod.Spec.Overhead != nil {
		sum.add(fromList(pod.Spec.Overhead))
	}
	sum.Pods = 1
	return sum
}

// containersRequests is the containers' part of PodRequests.
func containersRequests(pod *corev1.Pod) Resources {
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
	return sum
}

// podLevelRequests are a pod's effective pod-level cpu and memory requests
// (nil: not set), with Kubernetes' defaulting (defaultPodRequests): an
// explicit request wins; else, when pod-level limits are set, the
// containers' requests if any container requests that resource, else the
// pod-level limit.
func podLevelRequests(pod *corev1.Pod, containers Resources) (cpu, mem *int64) {
	r := pod.Spec.Resources
	if r == nil {
		return nil, nil
	}
	req, lim := fromList(r.Requests), fromList(r.Limits)
	pick := func(name corev1.ResourceName, request, limit, fromContainers int64) *int64 {
		if _, ok := r.Requests[name]; ok {
			return &request
		}
		if _, ok := r.Limits[name]; !ok {
			return nil
		}
		if anyContainerRequests(pod, name) {
			return &fromContainers
		}
		return &limit
	}
	return pick(corev1.ResourceCPU, req.MilliCPU, lim.MilliCPU, containers.MilliCPU),
		pick(corev1.ResourceMemory, req.Memory, lim.Memory, containers.Memory)
}

// anyContainerRequests says whether a container requests the resource,
// explicitly or through a limit (Kubernetes defaults requests to limits).
func anyContainerRequests(pod *corev1.Pod, name corev1.ResourceName) bool {
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			_, req := cs[i].Resources.Requests[name]
			_, lim := cs[i].Resources.Limits[name]
			if req || lim {
				return true
			}
		}
	}
	return false
}

// scoringRequests is PodRequests with Kubernetes' non-zero defaults for
// containers that request no cpu or memory; a pod-level request is taken
// as it is.
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
	cpu, mem := podLevelRequests(pod, containersRequests(pod))
	if cpu != nil {
		sum.MilliCPU = *cpu
	}
	if mem != nil {
		sum.Memory = *mem
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
