package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestDescribeShowsStateHealthAndEvents(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	three := int32(3)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web", UID: "u1", Generation: 2,
		Labels: map[string]string{"app": "web"}, CreationTimestamp: metav1.NewTime(now.Add(-10 * time.Minute))}}
	objects.SetTypeMeta(d, "Deployment")
	d.Spec.Replicas = &three
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	d.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: "localhost/reconcile-hello:v2"}}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3, ReadyReplicas: 3,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}}
	ev := events.New(d, events.Normal, "ScalingReplicaSet", "Scaled up replica set web-abc to 3", "deployment-controller", now.Add(-5*time.Minute))
	ev.Count = 2
	var buf bytes.Buffer
	if err := describe(&buf, d, []*corev1.Event{ev}, now); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Name:", "web", "Namespace:", "demo", "Kind:", "Deployment",
		"Health:", "Healthy (3 of 3 replicas available)",
		"Replicas:", "3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
		"StrategyType:", "RollingUpdate (max unavailable 25%, max surge 25%)",
		"localhost/reconcile-hello:v2", "Available", "MinimumReplicasAvailable",
		"Events:", "Normal", "ScalingReplicaSet", "5m (x2 over 5m)", "deployment-controller", "Scaled up replica set web-abc to 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q:\n%s", want, out)
		}
	}
}

func TestDescribeJobAndEventsTable(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "batch"}}
	objects.SetTypeMeta(j, "Job")
	start, end := metav1.NewTime(now.Add(-time.Minute)), metav1.NewTime(now)
	j.Status = batchv1.JobStatus{StartTime: &start, CompletionTime: &end, Succeeded: 3,
		Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "Completed"}}}
	var buf bytes.Buffer
	if err := describe(&buf, j, nil, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Pods Statuses:", "0 Active / 3 Succeeded / 0 Failed", "Duration:", "1m0s", "Healthy (Job completed: 3 succeeded)", "Events:", "<none>"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("describe job lacks %q:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	ev := events.New(j, events.Warning, "BackoffLimitExceeded", "Job has reached the specified backoff limit", "job-controller", now.Add(-30*time.Second))
	if err := printEvents(&buf, []*corev1.Event{ev}, true, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "NAMESPACE") || !strings.Contains(lines[1], "30s") ||
		!strings.Contains(lines[1], "job/batch") || !strings.Contains(lines[1], "Job has reached the specified backoff limit") {
		t.Fatalf("events table:\n%s", buf.String())
	}
}

func TestDescribeLoadBalancer(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.0.10", ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
		HealthCheckNodePort: 31000, LoadBalancerSourceRanges: []string{"203.0.113.0/24"},
		Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30080}}}}
	objects.SetTypeMeta(s, "Service")
	for _, tc := range []struct {
		ingress []corev1.LoadBalancerIngress
		want    []string
	}{
		{nil, []string{"LoadBalancer Ingress:", "<pending>", "External Traffic Policy:", "Local", "HealthCheck NodePort:", "31000", "LoadBalancer Source Ranges:", "203.0.113.0/24"}},
		{[]corev1.LoadBalancerIngress{{IP: "192.0.2.2"}, {IP: "192.0.2.3"}}, []string{"LoadBalancer Ingress:", "192.0.2.2,192.0.2.3"}},
	} {
		s.Status.LoadBalancer.Ingress = tc.ingress
		var buf bytes.Buffer
		if err := describe(&buf, s, nil, now); err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.want {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("describe output lacks %q:\n%s", want, buf.String())
			}
		}
	}
}
