package agent

import (
	corev1 "k8s.io/api/core/v1"
)

// cfsPeriod is the CFS period the kubelet uses (100 ms); a CPU limit is a
// quota of it, and the smallest quota is 1 ms.
const (
	cfsPeriod   = 100000
	minCFSQuota = 1000
	minShares   = 2
)

// containerResources computes the cgroup settings of a container as the
// kubelet does: memory limit in bytes, CPU quota = limit × period, and CPU
// shares from the request (the limit when only a limit is given). It is pure.
func containerResources(c *corev1.Container) Resources {
	var r Resources
	lim, req := c.Resources.Limits, c.Resources.Requests
	if m, ok := lim[corev1.ResourceMemory]; ok && m.Value() > 0 {
		r.MemoryLimit = m.Value()
	}
	cpuReq, hasReq := req[corev1.ResourceCPU]
	if q, ok := lim[corev1.ResourceCPU]; ok && q.MilliValue() > 0 {
		quota := q.MilliValue() * cfsPeriod / 1000
		if quota < minCFSQuota {
			quota = minCFSQuota
		}
		r.CPUQuota, r.CPUPeriod = quota, cfsPeriod
		if !hasReq {
			cpuReq, hasReq = q, true
		}
	}
	if hasReq && cpuReq.MilliValue() > 0 {
		shares := uint64(cpuReq.MilliValue() * 1024 / 1000)
		if shares < minShares {
			shares = minShares
		}
		r.CPUShares = shares
	}
	return r
}

// podResources are the pod cgroup's settings from pod-level resources
// (spec.resources, Kubernetes' PodLevelResources), computed as for a
// container: the pod's containers share them, and one without limits of
// its own is held by the pod's.
func podResources(pod *corev1.Pod) Resources {
	if pod.Spec.Resources == nil {
		return Resources{}
	}
	return containerResources(&corev1.Container{Resources: *pod.Spec.Resources})
}
