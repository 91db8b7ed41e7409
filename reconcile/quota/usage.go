package quota

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Usage is what o counts for in its namespace's quotas: its
// count/<plural>.<group> and, as Kubernetes' evaluators, pods, services,
// configmaps, secrets and resourcequotas, services.nodeports and
// services.loadbalancers, and a pod's compute (PodUsage). now decides
// whether a terminating pod still counts.
func Usage(o objects.Object, now time.Time) corev1.ResourceList {
	kind := objects.KindOf(o)
	if kind == "" {
		kind = kindOfType(o)
	}
	u := corev1.ResourceList{}
	if n := CountName(kind); n != "" {
		u[n] = *resource.NewQuantity(1, resource.DecimalSI)
	}
	switch x := o.(type) {
	case *corev1.Pod:
		for k, v := range PodUsage(x, now) {
			u[k] = v
		}
	case *corev1.Service:
		u[Services] = one()
		switch x.Spec.Type {
		case corev1.ServiceTypeNodePort:
			u[ServicesNodePorts] = *resource.NewQuantity(int64(len(x.Spec.Ports)), resource.DecimalSI)
		case corev1.ServiceTypeLoadBalancer:
			u[ServicesLoadBalancers] = one()
			if x.Spec.AllocateLoadBalancerNodePorts == nil || *x.Spec.AllocateLoadBalancerNodePorts {
				u[ServicesNodePorts] = *resource.NewQuantity(int64(len(x.Spec.Ports)), resource.DecimalSI)
			}
		}
	case *corev1.ConfigMap:
		u[ConfigMaps] = one()
	case *corev1.Secret:
		u[Secrets] = one()
	case *corev1.ResourceQuota:
		u[ResourceQuotas] = one()
	}
	return u
}

func one() resource.Quantity { return *resource.NewQuantity(1, resource.DecimalSI) }

// kindOfType names the kind of a typed object whose TypeMeta is empty.
func kindOfType(o objects.Object) string {
	switch o.(type) {
	case *corev1.Pod:
		return "Pod"
	case *corev1.Service:
		return "Service"
	case *corev1.ConfigMap:
		return "ConfigMap"
	case *corev1.Secret:
		return "Secret"
	case *corev1.ResourceQuota:
		return "ResourceQuota"
	case *corev1.LimitRange:
		return "LimitRange"
	case *appsv1.Deployment:
		return "Deployment"
	case *appsv1.ReplicaSet:
		return "ReplicaSet"
	case *appsv1.StatefulSet:
		return "StatefulSet"
	case *appsv1.DaemonSet:
		return "DaemonSet"
	case *batchv1.Job:
		return "Job"
	case *batchv1.CronJob:
		return "CronJob"
	}
	return ""
}

// PodUsage is Kubernetes' pod evaluator: count/pods always; while the pod
// counts (not Succeeded or Failed, not past its deletion grace) also pods
// = 1 and its compute: requests under requests.<r> and <r>, limits under
// limits.<r>, from the pod's requests and limits as the scheduler sums
// them (init containers as the largest of them, pod-level resources and
// overhead).
func PodUsage(pod *corev1.Pod, now time.Time) corev1.ResourceList {
	u := corev1.ResourceList{"count/pods": one()}
	if !countsInQuota(pod, now) {
		return u
	}
	u[Pods] = one()
	for k, v := range podRequests(pod) {
		u[corev1.ResourceName("requests."+string(k))] = v
		u[k] = v
	}
	for k, v := range podLimits(pod) {
		u[corev1.ResourceName("limits."+string(k))] = v
	}
	return u
}

// countsInQuota is Kubernetes' QuotaV1Pod: terminal pods, and pods past
// their deletion time plus grace, no longer use the namespace's quota.
func countsInQuota(pod *corev1.Pod, now time.Time) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil {
		end := pod.DeletionTimestamp.Add(time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second)
		if now.After(end) {
			return false
		}
	}
	return true
}

// podRequests are the pod's requests: the containers' sum, at least each
// init container's, replaced by pod-level requests, plus overhead.
func podRequests(pod *corev1.Pod) corev1.ResourceList {
	return podSum(pod, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Requests },
		pod.Spec.Resources != nil && len(pod.Spec.Resources.Requests) > 0)
}

// podLimits are podRequests' counterpart for limits.
func podLimits(pod *corev1.Pod) corev1.ResourceList {
	return podSum(pod, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Limits },
		pod.Spec.Resources != nil && len(pod.Spec.Resources.Limits) > 0)
}

func podSum(pod *corev1.Pod, of func(corev1.ResourceRequirements) corev1.ResourceList, podLevel bool) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for i := range pod.Spec.Containers {
		addList(sum, of(pod.Spec.Containers[i].Resources))
	}
	for i := range pod.Spec.InitContainers {
		for k, v := range of(pod.Spec.InitContainers[i].Resources) {
			if cur, ok := sum[k]; !ok || v.Cmp(cur) > 0 {
				sum[k] = v.DeepCopy()
			}
		}
	}
	if podLevel {
		for k, v := range of(*pod.Spec.Resources) {
			sum[k] = v.DeepCopy()
		}
	}
	addList(sum, pod.Spec.Overhead)
	for k := range sum {
		if !IsCompute(k) {
			delete(sum, k)
		}
	}
	return sum
}

// addList adds b into a.
func addList(a, b corev1.ResourceList) {
	for k, v := range b {
		cur := a[k]
		cur.Add(v)
		a[k] = cur
	}
}

// IsBestEffort is Kubernetes' BestEffort QoS class: no container (nor the
// pod) requests or limits cpu or memory.
func IsBestEffort(pod *corev1.Pod) bool {
	set := func(r corev1.ResourceRequirements) bool {
		for _, l := range []corev1.ResourceList{r.Requests, r.Limits} {
			for k, v := range l {
				if (k == corev1.ResourceCPU || k == corev1.ResourceMemory) && !v.IsZero() {
					return true
				}
			}
		}
		return false
	}
	if pod.Spec.Resources != nil && set(*pod.Spec.Resources) {
		return false
	}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range cs {
			if set(cs[i].Resources) {
				return false
			}
		}
	}
	return true
}
