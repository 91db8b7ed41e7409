package controllers

import (
	"errors"
	"fmt"
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Kubernetes' replica calculator (pkg/controller/podautoscaler/
// replica_calculator.go), over values: the pods the target selects, the
// usage their agents reported, and the clock.
const (
	// hpaTolerance: a usage ratio within 10 % of 1 changes nothing
	// (kube-controller-manager's --horizontal-pod-autoscaler-tolerance).
	hpaTolerance = 0.1
	// cpuInitializationPeriod: a pod this young may still be starting up,
	// so its CPU sample counts only once it is ready and one usage window
	// has passed since it became ready.
	cpuInitializationPeriod = 5 * time.Minute
	// delayOfInitialReadinessStatus: a pod that turned unready this soon
	// after it started has never been ready.
	delayOfInitialReadinessStatus = 30 * time.Second
)

// PodUsage is one pod's usage as the metrics API has it: the sum of its
// containers' (podmetrics.PodTotal), measured over Window ending at
// Timestamp.
type PodUsage struct {
	Usage     corev1.ResourceList
	Timestamp time.Time
	Window    time.Duration
}

// ReplicaRecommendation is what one metric asks for.
type ReplicaRecommendation struct {
	Replicas int32
	// Utilization is the average usage in percent of the requests (for a
	// Utilization target), Average the average usage per pod.
	Utilization *int32
	Average     resource.Quantity
	Timestamp   time.Time
}

// errNoMetrics and its kin are the calculator's refusals, in Kubernetes'
// words; the step reports them on ScalingActive.
var errNoMetrics = errors.New("did not receive metrics for targeted pods (pods might be unready)")

// ResourceReplicas is Kubernetes' GetResourceReplicas (Utilization
// target) and GetRawResourceReplicas (AverageValue target): from the
// current replica count, the pods the target's selector matches, their
// usage by pod name, the metric's resource and target, the desired count.
//
// Pods being deleted or Failed are ignored; Pending pods, and for cpu pods
// not yet ready or still initialising, are unready; running pods without
// usage are missing. Without unready or missing pods the count is
// ceil(ready × usage/target) unless within tolerance. Otherwise, on a
// scale-up unready and missing pods count as using 0 %, on a scale-down
// missing pods count as using 100 % of the target, and the recount must
// still leave tolerance and keep the direction, else nothing changes.
func ResourceReplicas(current int32, pods []*corev1.Pod, usage map[string]PodUsage, res corev1.ResourceName,
	target autoscalingv2.MetricTarget, now time.Time) (ReplicaRecommendation, error) {
	if len(pods) == 0 {
		return ReplicaRecommendation{}, errors.New("no pods returned by selector while calculating replica count")
	}
	metrics := map[string]int64{} // milli-units of res per pod
	var ts time.Time
	for name, u := range usage {
		q, ok := u.Usage[res]
		if !ok {
			continue
		}
		metrics[name] = q.MilliValue()
		if u.Timestamp.After(ts) {
			ts = u.Timestamp
		}
	}
	ready, unready, missing, ignored := groupPods(pods, usage, metrics, res, now)
	for n := range ignored {
		delete(metrics, n)
	}
	for n := range unready {
		delete(metrics, n)
	}
	if len(metrics) == 0 {
		return ReplicaRecommendation{}, errNoMetrics
	}
	if target.Type == autoscalingv2.AverageValueMetricType {
		if target.AverageValue == nil {
			return ReplicaRecommendation{}, errors.New("the target has no averageValue")
		}
		return plainReplicas(current, metrics, ready, unready, missing, target.AverageValue.MilliValue(), ts)
	}
	if target.AverageUtilization == nil {
		return ReplicaRecommendation{}, errors.New("the target has no averageUtilization")
	}
	requests, err := podRequests(pods, res)
	if err != nil {
		return ReplicaRecommendation{}, err
	}
	targetUtil := *target.AverageUtilization
	ratio, util, raw, err := utilizationRatio(metrics, requests, targetUtil)
	if err != nil {
		return ReplicaRecommendation{}, err
	}
	rec := ReplicaRecommendation{Replicas: current, Utilization: &util, Average: *resource.NewMilliQuantity(raw, quantityFormat(res)), Timestamp: ts}
	scaleUpWithUnready := len(unready) > 0 && ratio > 1.0
	if !scaleUpWithUnready && len(missing) == 0 {
		if math.Abs(1.0-ratio) > hpaTolerance {
			rec.Replicas = int32(math.Ceil(ratio * float64(ready)))
		}
		return rec, nil
	}
	if len(missing) > 0 {
		for n := range missing {
			if ratio < 1.0 {
				metrics[n] = requests[n] // scale down: as if at 100 % of the request
			} else {
				metrics[n] = 0 // scale up: as if idle
			}
		}
	}
	if scaleUpWithUnready {
		for n := range unready {
			metrics[n] = 0
		}
	}
	newRatio, _, _, err := utilizationRatio(metrics, requests, targetUtil)
	if err != nil {
		return rec, err
	}
	if math.Abs(1.0-newRatio) <= hpaTolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return rec, nil // too small a change, or the direction would flip
	}
	n := int32(math.Ceil(newRatio * float64(len(metrics))))
	if (newRatio < 1.0 && n > current) || (newRatio > 1.0 && n < current) {
		return rec, nil
	}
	rec.Replicas = n
	return rec, nil
}

// plainReplicas is calcPlainMetricReplicas: the average usage per pod
// against a target value per pod.
func plainReplicas(current int32, metrics map[string]int64, ready int, unready, missing map[string]bool, target int64, ts time.Time) (ReplicaRecommendation, error) {
	if target <= 0 {
		return ReplicaRecommendation{}, errors.New("the target averageValue must be positive")
	}
	ratio, avg := usageRatio(metrics, target)
	rec := ReplicaRecommendation{Replicas: current, Average: *resource.NewMilliQuantity(avg, resource.DecimalSI), Timestamp: ts}
	scaleUpWithUnready := len(unready) > 0 && ratio > 1.0
	if !scaleUpWithUnready && len(missing) == 0 {
		if math.Abs(1.0-ratio) > hpaTolerance {
			rec.Replicas = int32(math.Ceil(ratio * float64(ready)))
		}
		return rec, nil
	}
	for n := range missing {
		if ratio < 1.0 {
			metrics[n] = target
		} else {
			metrics[n] = 0
		}
	}
	if scaleUpWithUnready {
		for n := range unready {
			metrics[n] = 0
		}
	}
	newRatio, _ := usageRatio(metrics, target)
	if math.Abs(1.0-newRatio) <= hpaTolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return rec, nil
	}
	n := int32(math.Ceil(newRatio * float64(len(metrics))))
	if (newRatio < 1.0 && n > current) || (newRatio > 1.0 && n < current) {
		return rec, nil
	}
	rec.Replicas = n
	return rec, nil
}

func usageRatio(metrics map[string]int64, target int64) (float64, int64) {
	var sum int64
	for _, m := range metrics {
		sum += m
	}
	avg := sum / int64(len(metrics))
	return float64(avg) / float64(target), avg
}

// utilizationRatio is GetResourceUtilizationRatio: total usage over total
// requests of the pods with usage, in whole percent (truncated, as
// Kubernetes), over the target.
func utilizationRatio(metrics, requests map[string]int64, target int32) (ratio float64, util int32, raw int64, err error) {
	var used, requested, n int64
	for name, m := range metrics {
		r, ok := requests[name]
		if !ok {
			continue
		}
		used += m
		requested += r
		n++
	}
	if requested == 0 {
		return 0, 0, 0, errors.New("no metrics returned matched known pods")
	}
	util = int32(used * 100 / requested)
	return float64(util) / float64(target), util, used / n, nil
}

// groupPods sorts the pods as Kubernetes' groupPods does.
func groupPods(pods []*corev1.Pod, usage map[string]PodUsage, metrics map[string]int64, res corev1.ResourceName, now time.Time) (ready int, unready, missing, ignored map[string]bool) {
	unready, missing, ignored = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed {
			ignored[p.Name] = true
			continue
		}
		if p.Status.Phase == corev1.PodPending {
			unready[p.Name] = true
			continue
		}
		if _, ok := metrics[p.Name]; !ok {
			missing[p.Name] = true
			continue
		}
		if res == corev1.ResourceCPU && cpuUnready(p, usage[p.Name], now) {
			unready[p.Name] = true
			continue
		}
		ready++
	}
	return ready, unready, missing, ignored
}

// cpuUnready: a pod whose CPU sample may come from its start-up burst.
func cpuUnready(p *corev1.Pod, u PodUsage, now time.Time) bool {
	cond := podCondition(p, corev1.PodReady)
	if cond == nil || p.Status.StartTime == nil {
		return true
	}
	start := p.Status.StartTime.Time
	if start.Add(cpuInitializationPeriod).After(now) {
		// still initialising: unready, or no full window since it turned ready
		return cond.Status == corev1.ConditionFalse || u.Timestamp.Before(cond.LastTransitionTime.Add(u.Window))
	}
	// unready and never ready since it started
	return cond.Status == corev1.ConditionFalse && start.Add(delayOfInitialReadinessStatus).After(cond.LastTransitionTime.Time)
}

// podRequests sums each pod's containers' requests of res, in milli-units;
// a container without one makes utilization undefined.
func podRequests(pods []*corev1.Pod, res corev1.ResourceName) (map[string]int64, error) {
	out := make(map[string]int64, len(pods))
	for _, p := range pods {
		var sum int64
		for _, c := range p.Spec.Containers {
			q, ok := c.Resources.Requests[res]
			if !ok {
				return nil, fmt.Errorf("missing request for %s in container %s of Pod %s", res, c.Name, p.Name)
			}
			sum += q.MilliValue()
		}
		out[p.Name] = sum
	}
	return out, nil
}

func quantityFormat(res corev1.ResourceName) resource.Format {
	if res == corev1.ResourceMemory {
		return resource.BinarySI
	}
	return resource.DecimalSI
}

// metricName is how Kubernetes names a metric in events and conditions.
func metricName(m autoscalingv2.MetricSpec) string {
	if m.Resource == nil {
		return string(m.Type)
	}
	if m.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
		return fmt.Sprintf("%s resource utilization (percentage of request)", m.Resource.Name)
	}
	return fmt.Sprintf("%s resource", m.Resource.Name)
}

// metricStatus is the status.currentMetrics entry of a recommendation.
func metricStatus(m autoscalingv2.MetricSpec, r ReplicaRecommendation) autoscalingv2.MetricStatus {
	avg := r.Average
	if m.Resource.Name == corev1.ResourceMemory {
		avg = *resource.NewQuantity(avg.Value(), resource.BinarySI)
	}
	return autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
		Name: m.Resource.Name, Current: autoscalingv2.MetricValueStatus{AverageUtilization: r.Utilization, AverageValue: &avg}}}
}
