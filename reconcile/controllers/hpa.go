package controllers

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// DefaultHPASyncPeriod is how often an autoscaler looks at its metrics
// (kube-controller-manager's --horizontal-pod-autoscaler-sync-period).
const DefaultHPASyncPeriod = 15 * time.Second

// HPAInput is everything one autoscaler's run reads.
type HPAInput struct {
	HPA *autoscalingv2.HorizontalPodAutoscaler
	// Target is the scaleTargetRef's object from the cache (nil: missing).
	Target objects.Object
	// Pods are the pods of the target's namespace its selector matches.
	Pods []*corev1.Pod
	// Usage is the latest usage by pod name (uid-checked by the caller).
	Usage   map[string]PodUsage
	History HPAHistory
	Now     time.Time
}

// HPAResult is one run's outcome: the writes, and what to remember.
type HPAResult struct {
	Changes Changes
	History HPAHistory
}

// ReconcileHPA is Kubernetes' reconcileAutoscaler over values: the target's
// size from its metrics, stabilised and limited by the behaviour, written to
// the target's spec.replicas (the only writer of that field while the
// autoscaler exists: the planner leaves it alone), with the autoscaler's
// status, conditions and events in Kubernetes' words.
func ReconcileHPA(in HPAInput, component string) HPAResult {
	h := in.HPA
	now := metav1.NewTime(in.Now)
	status := h.Status.DeepCopy()
	status.ObservedGeneration = ptr.To(h.Generation)
	var ch Changes
	res := HPAResult{History: in.History}
	setCond := func(t autoscalingv2.HorizontalPodAutoscalerConditionType, s corev1.ConditionStatus, reason, msg string) {
		status.Conditions = setHPACondition(status.Conditions, autoscalingv2.HorizontalPodAutoscalerCondition{Type: t, Status: s, Reason: reason, Message: msg}, now)
	}
	ref := h.Spec.ScaleTargetRef
	scale, ok := scaleOf(in.Target)
	if !ok {
		msg := fmt.Sprintf("the HPA controller was unable to get the target's current scale: %s.apps %q not found", pluralOf(ref.Kind), ref.Name)
		setCond(autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedGetScale", msg)
		ch.Event(h, component, events.Warning, "FailedGetScale", fmt.Sprintf("%s.apps %q not found", pluralOf(ref.Kind), ref.Name), in.Now)
		return finishHPA(h, status, ch, res)
	}
	setCond(autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale")
	current := scale.specReplicas
	minR := ptr.Deref(h.Spec.MinReplicas, 1)
	maxR := h.Spec.MaxReplicas
	status.CurrentReplicas = scale.statusReplicas
	desired := current
	var reason string
	rescale := false
	switch {
	case current == 0 && minR != 0:
		setCond(autoscalingv2.ScalingActive, corev1.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
		desired = 0
	case current > maxR:
		reason, desired = "Current number of replicas above Spec.MaxReplicas", maxR
		rescale = true
	case current < minR:
		reason, desired = "Current number of replicas below Spec.MinReplicas", minR
		rescale = true
	default:
		proposal, name, statuses, err := replicasForMetrics(h, in, current)
		status.CurrentMetrics = statuses
		if err != nil {
			setCond(autoscalingv2.ScalingActive, corev1.ConditionFalse, "FailedGetResourceMetric", "the HPA was unable to compute the replica count: "+err.Error())
			ch.Event(h, component, events.Warning, "FailedGetResourceMetric", err.Error(), in.Now)
			ch.Event(h, component, events.Warning, "FailedComputeMetricsReplicas", "invalid metrics, first error is: "+err.Error(), in.Now)
			status.DesiredReplicas = current
			return finishHPA(h, status, ch, res)
		}
		setCond(autoscalingv2.ScalingActive, corev1.ConditionTrue, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from "+name)
		if proposal > current {
			reason = name + " above target"
		} else if proposal < current {
			reason = "All metrics below target"
		}
		b := DefaultBehavior(h.Spec.Behavior)
		var n normalized
		n, res.History = normalizeReplicas(res.History, b, minR, maxR, current, proposal, in.Now)
		setCond(autoscalingv2.AbleToScale, corev1.ConditionTrue, n.AbleReason, n.AbleMessage)
		limited := corev1.ConditionFalse
		if n.Limited {
			limited = corev1.ConditionTrue
		}
		setCond(autoscalingv2.ScalingLimited, limited, n.LimitedReason, n.LimitedMessage)
		desired = n.Replicas
		rescale = desired != current
	}
	status.DesiredReplicas = desired
	if rescale {
		ch.Update = append(ch.Update, scale.withReplicas(desired))
		setCond(autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededRescale", fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired))
		ch.Event(h, component, events.Normal, "SuccessfulRescale", fmt.Sprintf("New size: %d; reason: %s", desired, reason), in.Now)
		status.LastScaleTime = &now
		res.History = recordScale(res.History, DefaultBehavior(h.Spec.Behavior), current, desired, in.Now)
	}
	return finishHPA(h, status, ch, res)
}

// finishHPA writes the status when it changed.
func finishHPA(h *autoscalingv2.HorizontalPodAutoscaler, status *autoscalingv2.HorizontalPodAutoscalerStatus, ch Changes, res HPAResult) HPAResult {
	if !apiequality.Semantic.DeepEqual(&h.Status, status) {
		u := h.DeepCopy()
		u.Status = *status
		ch.UpdateStatus = append(ch.UpdateStatus, u)
	}
	res.Changes = ch
	return res
}

// replicasForMetrics is computeReplicasForMetrics: the largest proposal of
// the metrics (cpu at 80 % when there are none, Kubernetes' default). A
// metric that cannot be computed fails the run when all fail, or when the
// valid ones would scale down (a missing metric might have said up).
func replicasForMetrics(h *autoscalingv2.HorizontalPodAutoscaler, in HPAInput, current int32) (int32, string, []autoscalingv2.MetricStatus, error) {
	specs := h.Spec.Metrics
	if len(specs) == 0 {
		specs = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](80)}}}}
	}
	var best int32 = -1
	var name string
	var statuses []autoscalingv2.MetricStatus
	var firstErr error
	invalid := 0
	for _, m := range specs {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil {
			invalid++
			firstErr = cmpErr(firstErr, fmt.Errorf("unsupported metric type %q", m.Type))
			continue
		}
		rec, err := ResourceReplicas(current, in.Pods, in.Usage, m.Resource.Name, m.Resource.Target, in.Now)
		if err != nil {
			invalid++
			firstErr = cmpErr(firstErr, fmt.Errorf("failed to get %s utilization: %w", m.Resource.Name, err))
			statuses = append(statuses, autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{Name: m.Resource.Name}})
			continue
		}
		statuses = append(statuses, metricStatus(m, rec))
		if rec.Replicas > best {
			best, name = rec.Replicas, metricName(m)
		}
	}
	if invalid == len(specs) || (invalid > 0 && best < current) {
		return 0, "", statuses, firstErr
	}
	return best, name, statuses, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func setHPACondition(conds []autoscalingv2.HorizontalPodAutoscalerCondition, c autoscalingv2.HorizontalPodAutoscalerCondition, now metav1.Time) []autoscalingv2.HorizontalPodAutoscalerCondition {
	return setCondition(conds, c, now, func(c *autoscalingv2.HorizontalPodAutoscalerCondition) (string, string, string, string, *metav1.Time) {
		return string(c.Type), string(c.Status), c.Reason, c.Message, &c.LastTransitionTime
	})
}

// scaleView is Kubernetes' scale subresource of a workload.
type scaleView struct {
	obj                          objects.Object
	specReplicas, statusReplicas int32
	selector                     *metav1.LabelSelector
}

func scaleOf(o objects.Object) (scaleView, bool) {
	switch t := o.(type) {
	case *appsv1.Deployment:
		return scaleView{t, ptr.Deref(t.Spec.Replicas, 1), t.Status.Replicas, t.Spec.Selector}, true
	case *appsv1.StatefulSet:
		return scaleView{t, ptr.Deref(t.Spec.Replicas, 1), t.Status.Replicas, t.Spec.Selector}, true
	case *appsv1.ReplicaSet:
		return scaleView{t, ptr.Deref(t.Spec.Replicas, 1), t.Status.Replicas, t.Spec.Selector}, true
	}
	return scaleView{}, false
}

// withReplicas is a copy of the target with spec.replicas = n, carrying
// the resourceVersion it was read at (a concurrent change conflicts).
func (s scaleView) withReplicas(n int32) objects.Object {
	switch t := s.obj.(type) {
	case *appsv1.Deployment:
		c := t.DeepCopy()
		c.Spec.Replicas = ptr.To(n)
		return c
	case *appsv1.StatefulSet:
		c := t.DeepCopy()
		c.Spec.Replicas = ptr.To(n)
		return c
	case *appsv1.ReplicaSet:
		c := t.DeepCopy()
		c.Spec.Replicas = ptr.To(n)
		return c
	}
	return nil
}

func pluralOf(kind string) string {
	if info, ok := objects.Info(kind); ok {
		return info.Plural
	}
	return kind
}

// hpaStep is the registry's step: the cached target and pods, the usage
// the agents reported (Options.Usage), the history kept in memory.
func hpaStep(in Inputs, key objects.Key, obj objects.Object) Changes {
	if in.autoscalers == nil { // a caller without the runner's memory
		in.autoscalers = newAutoscalers(0)
	}
	h, ok := obj.(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok {
		delete(in.autoscalers.history, key)
		return Changes{}
	}
	ref := h.Spec.ScaleTargetRef
	target := in.cache.get(objects.Key{Kind: ref.Kind, Namespace: h.Namespace, Name: ref.Name})
	hin := HPAInput{HPA: h, Target: target, History: in.autoscalers.history[key], Now: in.Now}
	if s, ok := scaleOf(target); ok && s.selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(s.selector)
		if err == nil {
			for _, p := range in.cache.podsSelectable(h.Namespace, s.selector.MatchLabels) {
				if sel.Matches(labels.Set(p.Labels)) {
					hin.Pods = append(hin.Pods, p)
				}
			}
		}
		hin.Usage = usageByPod(in.Usage, h.Namespace, hin.Pods)
	}
	r := ReconcileHPA(hin, in.Component)
	in.autoscalers.history[key] = r.History
	r.Changes.requeueAfter(in.autoscalers.period)
	return r.Changes
}

// usageByPod picks the usage of pods (same name and uid) from src.
func usageByPod(src UsageSource, namespace string, pods []*corev1.Pod) map[string]PodUsage {
	out := map[string]PodUsage{}
	if src == nil {
		return out
	}
	uids := map[string]string{}
	for _, p := range pods {
		uids[p.Name] = string(p.UID)
	}
	for _, pm := range src.Pods(namespace) {
		if uid, ok := uids[pm.Name]; ok && (pm.UID == "" || string(pm.UID) == uid) {
			out[pm.Name] = PodUsage{Usage: podmetrics.PodTotal(pm), Timestamp: pm.Timestamp.Time, Window: pm.Window.Duration}
		}
	}
	return out
}

// autoscalers is the HPA step's memory (Kubernetes keeps it in the
// controller too): recommendations and scale events by autoscaler.
type autoscalers struct {
	history map[objects.Key]HPAHistory
	period  time.Duration
}

func newAutoscalers(period time.Duration) *autoscalers {
	if period <= 0 {
		period = DefaultHPASyncPeriod
	}
	return &autoscalers{history: map[objects.Key]HPAHistory{}, period: period}
}

// hpasTargeting maps an event on a workload to the autoscalers of its
// namespace that target it.
func hpasTargeting(c *cache, old, cur objects.Object) []objects.Key {
	o := cur
	if o == nil {
		o = old
	}
	kind := objects.KindOf(o)
	var out []objects.Key
	for k, x := range c.byKind["HorizontalPodAutoscaler"] {
		h := x.(*autoscalingv2.HorizontalPodAutoscaler)
		if k.Namespace == o.GetNamespace() && h.Spec.ScaleTargetRef.Kind == kind && h.Spec.ScaleTargetRef.Name == o.GetName() {
			out = append(out, k)
		}
	}
	return out
}
