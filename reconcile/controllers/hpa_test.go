package controllers

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

var hpaNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// calcPod is one pod of a replica calculator case: its cpu request and
// usage in millicores (usage < 0: no usage reported), ready or not, and
// how long ago it started.
type calcPod struct {
	request, usage int64
	ready          bool
	phase          corev1.PodPhase
	age            time.Duration
}

func (c calcPod) String() string {
	s := fmt.Sprintf("%dm/%dm", c.usage, c.request)
	if c.usage < 0 {
		s = fmt.Sprintf("no usage/%dm", c.request)
	}
	if c.phase != "" && c.phase != corev1.PodRunning {
		s += " " + string(c.phase)
	} else if !c.ready {
		s += " unready"
	}
	return s
}

func calcPods(ps []calcPod) ([]*corev1.Pod, map[string]PodUsage) {
	var pods []*corev1.Pod
	usage := map[string]PodUsage{}
	for i, c := range ps {
		name := fmt.Sprintf("p%d", i)
		age := c.age
		if age == 0 {
			age = time.Hour
		}
		phase := c.phase
		if phase == "" {
			phase = corev1.PodRunning
		}
		ready := corev1.ConditionTrue
		if !c.ready {
			ready = corev1.ConditionFalse
		}
		start := metav1.NewTime(hpaNow.Add(-age))
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(c.request, resource.DecimalSI)}}}}},
			Status: corev1.PodStatus{Phase: phase, StartTime: &start, Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: ready, LastTransitionTime: metav1.NewTime(start.Add(10 * time.Second))}}}}
		pods = append(pods, p)
		if c.usage >= 0 {
			usage[name] = PodUsage{Usage: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(c.usage, resource.DecimalSI)},
				Timestamp: hpaNow, Window: 15 * time.Second}
		}
	}
	return pods, usage
}

// TestReplicaCalculator runs Kubernetes' replica calculator cases
// (replica_calculator_test.go) and writes them as a spec:
// testdata/hpa-replicas.golden.
func TestReplicaCalculator(t *testing.T) {
	p := func(req, use int64) calcPod { return calcPod{request: req, usage: use, ready: true} }
	unready := func(c calcPod) calcPod { c.ready = false; return c }
	young := func(c calcPod) calcPod { c.age = time.Minute; return c }
	pending := func(c calcPod) calcPod { c.phase = corev1.PodPending; c.ready = false; return c }
	util := func(n int32) autoscalingv2.MetricTarget {
		return autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(n)}
	}
	avg := func(q string) autoscalingv2.MetricTarget {
		return autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse(q))}
	}
	cases := []struct {
		name    string
		current int32
		pods    []calcPod
		target  autoscalingv2.MetricTarget
	}{
		{"scale up", 3, []calcPod{p(1000, 300), p(1000, 500), p(1000, 700)}, util(30)},
		{"scale up, an unready pod counts as 0 %", 3, []calcPod{unready(p(1000, 300)), p(1000, 500), p(1000, 700)}, util(30)},
		{"scale up, a starting pod's cpu does not count", 3, []calcPod{young(unready(p(1000, 900))), p(1000, 500), p(1000, 700)}, util(30)},
		{"scale up, a pending pod counts as 0 %", 3, []calcPod{pending(p(1000, -1)), p(1000, 500), p(1000, 700)}, util(30)},
		{"scale up, a pod without usage counts as 0 %", 3, []calcPod{p(1000, -1), p(1000, 500), p(1000, 700)}, util(30)},
		{"no scale up when the unready pods would flip the direction", 3, []calcPod{unready(p(1000, 400)), p(1000, 500), unready(p(1000, 700))}, util(30)},
		{"scale down", 5, []calcPod{p(1000, 100), p(1000, 300), p(1000, 500), p(1000, 250), p(1000, 250)}, util(50)},
		{"scale down ignores unready pods", 5, []calcPod{p(1000, 100), unready(p(1000, 300)), p(1000, 500), unready(p(1000, 250)), unready(p(1000, 250))}, util(50)},
		{"scale down, a pod without usage counts as 100 %", 4, []calcPod{p(1000, 400), p(1000, 95), p(1000, -1), p(1000, 100)}, util(50)},
		{"within tolerance: no change", 3, []calcPod{p(1100, 1010), p(1000, 1030), p(1200, 1020)}, util(90)},
		{"just outside tolerance: scale up", 3, []calcPod{p(1000, 700), p(1000, 700), p(1000, 700)}, util(60)},
		{"average value: scale up", 3, []calcPod{p(1000, 600), p(1000, 800), p(1000, 1000)}, avg("400m")},
		{"average value: scale down", 4, []calcPod{p(1000, 100), p(1000, 100), p(1000, 100), p(1000, 100)}, avg("200m")},
		{"no pod has usage", 2, []calcPod{p(1000, -1), p(1000, -1)}, util(50)},
		{"a container without a request", 2, []calcPod{p(0, 100), p(1000, 100)}, util(50)},
	}
	var b strings.Builder
	for _, tc := range cases {
		pods, usage := calcPods(tc.pods)
		if tc.pods[0].request == 0 {
			pods[0].Spec.Containers[0].Resources.Requests = nil
		}
		var ps []string
		for _, c := range tc.pods {
			ps = append(ps, c.String())
		}
		target := ""
		if tc.target.AverageUtilization != nil {
			target = fmt.Sprintf("%d %% of requests", *tc.target.AverageUtilization)
		} else {
			target = tc.target.AverageValue.String() + " per pod"
		}
		fmt.Fprintf(&b, "== %s\n   %d replicas; pods (usage/request): %s; target %s\n", tc.name, tc.current, strings.Join(ps, ", "), target)
		rec, err := ResourceReplicas(tc.current, pods, usage, corev1.ResourceCPU, tc.target, hpaNow)
		switch {
		case err != nil:
			fmt.Fprintf(&b, "   -> error: %v\n", err)
		case rec.Utilization != nil:
			fmt.Fprintf(&b, "   -> %d replicas (utilization %d %%)\n", rec.Replicas, *rec.Utilization)
		default:
			fmt.Fprintf(&b, "   -> %d replicas (average %s)\n", rec.Replicas, rec.Average.String())
		}
	}
	testkit.GoldenString(t, filepath.Join("testdata", "hpa-replicas.golden"), b.String())
}

// TestHPATrace runs one autoscaler through time against a Deployment
// whose pods' usage the case sets, writing each run's decision, events
// and conditions: testdata/hpa-trace.golden.
func TestHPATrace(t *testing.T) {
	type step struct {
		at    time.Duration // since the start
		usage int64         // millicores per pod (requests 100m)
		note  string
	}
	behavior := func(upWindow, downWindow int32, up, down []autoscalingv2.HPAScalingPolicy, downSelect autoscalingv2.ScalingPolicySelect) *autoscalingv2.HorizontalPodAutoscalerBehavior {
		b := &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleUp:   &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To(upWindow), Policies: up},
			ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To(downWindow), Policies: down}}
		if downSelect != "" {
			b.ScaleDown.SelectPolicy = ptr.To(downSelect)
		}
		return b
	}
	pods := func(n int32) autoscalingv2.HPAScalingPolicy {
		return autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PodsScalingPolicy, Value: n, PeriodSeconds: 60}
	}
	cases := []struct {
		name     string
		min, max int32
		replicas int32
		behavior *autoscalingv2.HorizontalPodAutoscalerBehavior
		steps    []step
	}{
		{"default behaviour: up at once (x2 or +4 per 15 s), down after the 300 s window", 1, 10, 1, nil, []step{
			{0, 400, "4x the target"}, {15 * time.Second, 400, "still 4x: +4 allowed"}, {30 * time.Second, 10, "load gone"},
			{2 * time.Minute, 10, "inside the window"}, {5*time.Minute + 31*time.Second, 10, "window passed"}}},
		{"max clamps, min clamps", 2, 3, 2, behavior(0, 0, nil, nil, ""), []step{
			{0, 1000, "10x"}, {15 * time.Second, 1, "idle"}}},
		{"scale-up limited to +1 pod per minute", 1, 10, 1, behavior(0, 0, []autoscalingv2.HPAScalingPolicy{pods(1)}, nil, ""), []step{
			{0, 500, ""}, {15 * time.Second, 500, "inside the period"}, {61 * time.Second, 500, "next period"}}},
		{"scale-down window of 10 s keeps the highest recommendation", 1, 10, 4, behavior(0, 10, nil, nil, ""), []step{
			{0, 10, "a new autoscaler starts its window at the current size"}, {5 * time.Second, 10, ""}, {11 * time.Second, 10, "window passed"}}},
		{"scale-down disabled", 1, 10, 4, behavior(0, 0, nil, nil, autoscalingv2.DisabledPolicySelect), []step{
			{0, 10, ""}}},
		{"scale-up stabilised by a lower recent recommendation", 1, 10, 2, behavior(30, 0, nil, nil, ""), []step{
			{0, 50, "at target"}, {10 * time.Second, 150, "3x, but 2 was recommended 10 s ago"}, {31 * time.Second, 150, "window passed"}}},
	}
	var b strings.Builder
	for _, tc := range cases {
		fmt.Fprintf(&b, "== %s (min %d, max %d, target 50 %% cpu, requests 100m)\n", tc.name, tc.min, tc.max)
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: "1"},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To(tc.replicas), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
		h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: 1},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
				MinReplicas: ptr.To(tc.min), MaxReplicas: tc.max, Behavior: tc.behavior,
				Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}}}}}}
		var hist HPAHistory
		for _, s := range tc.steps {
			now := hpaNow.Add(s.at)
			n := *d.Spec.Replicas
			d.Status.Replicas = n
			var cps []calcPod
			for range n {
				cps = append(cps, calcPod{request: 100, usage: s.usage, ready: true})
			}
			pods, usage := calcPods(cps)
			r := ReconcileHPA(HPAInput{HPA: h, Target: d, Pods: pods, Usage: usage, History: hist, Now: now}, "horizontal-pod-autoscaler")
			hist = r.History
			fmt.Fprintf(&b, "t=%-6s %d pods at %dm", s.at, n, s.usage)
			if s.note != "" {
				fmt.Fprintf(&b, " (%s)", s.note)
			}
			fmt.Fprintln(&b)
			for _, u := range r.Changes.Update {
				d = u.(*appsv1.Deployment)
				fmt.Fprintf(&b, "         spec.replicas -> %d\n", *d.Spec.Replicas)
			}
			for _, e := range r.Changes.Events {
				fmt.Fprintf(&b, "         event %s %s: %s\n", e.Type, e.Reason, e.Message)
			}
			for _, u := range r.Changes.UpdateStatus {
				h = u.(*autoscalingv2.HorizontalPodAutoscaler)
			}
			for _, c := range h.Status.Conditions {
				fmt.Fprintf(&b, "         %s=%s %s: %s\n", c.Type, c.Status, c.Reason, c.Message)
			}
			fmt.Fprintf(&b, "         status: current %d, desired %d\n", h.Status.CurrentReplicas, h.Status.DesiredReplicas)
		}
	}
	testkit.GoldenString(t, filepath.Join("testdata", "hpa-trace.golden"), b.String())
}
