package main

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/tables"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// describeKind writes the part of `describe` that depends on the kind.
func describeKind(d *describer, o objects.Object) {
	switch x := o.(type) {
	case *corev1.ResourceQuota:
		describeQuota(d, x) // quota_table.go
	case *corev1.LimitRange:
		describeLimitRange(d, x)
	case *appsv1.Deployment:
		d.field(0, "Selector", "%s", selector(x.Spec.Selector))
		s := x.Status
		d.field(0, "Replicas", "%d desired | %d updated | %d total | %d available | %d unavailable",
			replicas(x.Spec.Replicas), s.UpdatedReplicas, s.Replicas, s.AvailableReplicas, s.UnavailableReplicas)
		strategy := string(x.Spec.Strategy.Type)
		if x.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
			ru := x.Spec.Strategy.RollingUpdate
			if ru == nil {
				ru = &appsv1.RollingUpdateDeployment{}
			}
			strategy += fmt.Sprintf(" (max unavailable %s, max surge %s)", intOrString(ru.MaxUnavailable), intOrString(ru.MaxSurge))
		}
		d.field(0, "StrategyType", "%s", strategy)
		d.field(0, "MinReadySeconds", "%d", x.Spec.MinReadySeconds)
		podTemplate(d, x.Spec.Template)
		var rows [][]string
		for _, c := range x.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, oneLine(c.Message)})
		}
		conditions(d, rows)
	case *appsv1.ReplicaSet:
		d.field(0, "Selector", "%s", selector(x.Spec.Selector))
		d.field(0, "Replicas", "%d current / %d desired (%d ready, %d available)", x.Status.Replicas, replicas(x.Spec.Replicas), x.Status.ReadyReplicas, x.Status.AvailableReplicas)
		podTemplate(d, x.Spec.Template)
		var rows [][]string
		for _, c := range x.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, oneLine(c.Message)})
		}
		conditions(d, rows)
	case *appsv1.DaemonSet:
		d.field(0, "Selector", "%s", selector(x.Spec.Selector))
		s := x.Status
		d.field(0, "Desired Number of Nodes Scheduled", "%d", s.DesiredNumberScheduled)
		d.field(0, "Current Number of Nodes Scheduled", "%d", s.CurrentNumberScheduled)
		d.field(0, "Number of Nodes Scheduled with Up-to-date Pods", "%d", s.UpdatedNumberScheduled)
		d.field(0, "Number of Nodes Scheduled with Available Pods", "%d", s.NumberAvailable)
		podTemplate(d, x.Spec.Template)
	case *appsv1.StatefulSet:
		d.field(0, "Selector", "%s", selector(x.Spec.Selector))
		d.field(0, "Replicas", "%d desired | %d total | %d ready | %d updated", replicas(x.Spec.Replicas), x.Status.Replicas, x.Status.ReadyReplicas, x.Status.UpdatedReplicas)
		d.field(0, "Pod Management Policy", "%s", x.Spec.PodManagementPolicy)
		d.field(0, "Update Strategy", "%s", x.Spec.UpdateStrategy.Type)
		d.field(0, "Service Name", "%s", dash(x.Spec.ServiceName))
		for _, c := range x.Spec.VolumeClaimTemplates {
			d.field(0, "Volume Claim", "%s (a Podman volume per replica: %s-%s-<ordinal>)", c.Name, c.Name, x.Name)
		}
		podTemplate(d, x.Spec.Template)
	case *batchv1.Job:
		describeJob(d, x)
	case *batchv1.CronJob:
		s := x.Spec
		d.field(0, "Schedule", "%s", s.Schedule)
		if s.TimeZone != nil {
			d.field(0, "Time Zone", "%s", *s.TimeZone)
		}
		d.field(0, "Concurrency Policy", "%s", s.ConcurrencyPolicy)
		d.field(0, "Suspend", "%v", s.Suspend != nil && *s.Suspend)
		d.field(0, "Successful Job History Limit", "%d", int32Or(s.SuccessfulJobsHistoryLimit, 3))
		d.field(0, "Failed Job History Limit", "%d", int32Or(s.FailedJobsHistoryLimit, 1))
		if s.StartingDeadlineSeconds != nil {
			d.field(0, "Starting Deadline Seconds", "%ds", *s.StartingDeadlineSeconds)
		}
		d.field(0, "Last Schedule Time", "%s", timeOr(x.Status.LastScheduleTime))
		d.field(0, "Last Successful Time", "%s", timeOr(x.Status.LastSuccessfulTime))
		var active []string
		for _, r := range x.Status.Active {
			active = append(active, r.Name)
		}
		d.field(0, "Active Jobs", "%s", dash(strings.Join(active, ", ")))
		podTemplate(d, s.JobTemplate.Spec.Template)
	case *corev1.Pod:
		describePod(d, x)
	case *corev1.Service:
		d.field(0, "Type", "%s", x.Spec.Type)
		d.field(0, "Selector", "%s", keyValues(x.Spec.Selector))
		d.field(0, "IP", "%s", dash(x.Spec.ClusterIP))
		for _, p := range x.Spec.Ports {
			d.field(0, "Port", "%s %d/%s -> %s", dash(p.Name), p.Port, p.Protocol, p.TargetPort.String())
			if p.NodePort != 0 {
				d.field(0, "NodePort", "%d", p.NodePort)
			}
		}
		describeLoadBalancer(d, x)
	case *policyv1.PodDisruptionBudget:
		describePDB(d, x) // pdb_table.go
	case *corev1.Node:
		describeNode(d, x) // node_table.go
		d.field(0, "Pod CIDR", "%s", dash(x.Spec.PodCIDR))
		for _, a := range x.Status.Addresses {
			d.field(0, "Address", "%s %s", a.Type, a.Address)
		}
		a := x.Status.Allocatable
		d.field(0, "Allocatable", "cpu %s, memory %s, pods %s", a.Cpu(), a.Memory(), a.Pods())
		var rows [][]string
		for _, c := range x.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, oneLine(c.Message)})
		}
		conditions(d, rows)
	case *networkingv1.Ingress:
		describeIngress(d, x) // ingress_table.go
	}
}

func describeJob(d *describer, x *batchv1.Job) {
	s := x.Spec
	completions := "<unset>"
	if s.Completions != nil {
		completions = fmt.Sprint(*s.Completions)
	}
	d.field(0, "Parallelism", "%d", int32Or(s.Parallelism, 1))
	d.field(0, "Completions", "%s", completions)
	if s.CompletionMode != nil {
		d.field(0, "Completion Mode", "%s", *s.CompletionMode)
	}
	d.field(0, "Backoff Limit", "%d", int32Or(s.BackoffLimit, 6))
	if s.BackoffLimitPerIndex != nil {
		d.field(0, "Backoff Limit Per Index", "%d", *s.BackoffLimitPerIndex)
	}
	if s.MaxFailedIndexes != nil {
		d.field(0, "Max Failed Indexes", "%d", *s.MaxFailedIndexes)
	}
	if s.PodReplacementPolicy != nil {
		d.field(0, "Pod Replacement Policy", "%s", *s.PodReplacementPolicy)
	}
	if s.ActiveDeadlineSeconds != nil {
		d.field(0, "Active Deadline Seconds", "%ds", *s.ActiveDeadlineSeconds)
	}
	if s.TTLSecondsAfterFinished != nil {
		d.field(0, "TTL Seconds After Finished", "%ds", *s.TTLSecondsAfterFinished)
	}
	st := x.Status
	d.field(0, "Start Time", "%s", timeOr(st.StartTime))
	d.field(0, "Completed At", "%s", timeOr(st.CompletionTime))
	if st.StartTime != nil && st.CompletionTime != nil {
		d.field(0, "Duration", "%s", st.CompletionTime.Sub(st.StartTime.Time).Round(time.Second))
	}
	d.field(0, "Pods Statuses", "%d Active / %d Succeeded / %d Failed", st.Active, st.Succeeded, st.Failed)
	if st.CompletedIndexes != "" {
		d.field(0, "Completed Indexes", "%s", st.CompletedIndexes)
	}
	if st.FailedIndexes != nil && *st.FailedIndexes != "" {
		d.field(0, "Failed Indexes", "%s", *st.FailedIndexes)
	}
	if st.Terminating != nil && *st.Terminating > 0 {
		d.field(0, "Terminating Pods", "%d", *st.Terminating)
	}
	podTemplate(d, s.Template)
	var rows [][]string
	for _, c := range st.Conditions {
		rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, oneLine(c.Message)})
	}
	conditions(d, rows)
}

func describePod(d *describer, x *corev1.Pod) {
	d.field(0, "Node", "%s", dash(x.Spec.NodeName))
	d.field(0, "Status", "%s", podStatus(x))
	d.field(0, "IP", "%s", dash(x.Status.PodIP))
	if x.Status.Message != "" {
		d.field(0, "Message", "%s", x.Status.Message)
	}
	statuses := map[string]corev1.ContainerStatus{}
	for _, s := range append(append([]corev1.ContainerStatus(nil), x.Status.InitContainerStatuses...), x.Status.ContainerStatuses...) {
		statuses[s.Name] = s
	}
	for _, group := range []struct {
		title string
		cs    []corev1.Container
	}{{"Init Containers", x.Spec.InitContainers}, {"Containers", x.Spec.Containers}} {
		if len(group.cs) == 0 {
			continue
		}
		d.line(0, group.title+":")
		for _, c := range group.cs {
			d.line(1, c.Name+":")
			d.field(2, "Image", "%s", c.Image)
			s, ok := statuses[c.Name]
			if !ok {
				d.field(2, "State", "Waiting (not started)")
				continue
			}
			d.field(2, "Container ID", "%s", dash(s.ContainerID))
			d.field(2, "State", "%s", containerState(s.State))
			if s.LastTerminationState.Terminated != nil {
				d.field(2, "Last State", "%s", containerState(s.LastTerminationState))
			}
			d.field(2, "Ready", "%v", s.Ready)
			d.field(2, "Restart Count", "%d", s.RestartCount)
		}
	}
	var rows [][]string
	for _, c := range x.Status.Conditions {
		rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, oneLine(c.Message)})
	}
	conditions(d, rows)
}

func containerState(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "Running since " + s.Running.StartedAt.UTC().Format(time.RFC3339)
	case s.Waiting != nil:
		return strings.TrimSpace("Waiting " + s.Waiting.Reason + " " + oneLine(s.Waiting.Message))
	case s.Terminated != nil:
		t := s.Terminated
		out := fmt.Sprintf("Terminated %s (exit code %d)", t.Reason, t.ExitCode)
		if t.Message != "" {
			out += ": " + oneLine(t.Message)
		}
		return out
	}
	return "Unknown"
}

func podTemplate(d *describer, t corev1.PodTemplateSpec) {
	d.line(0, "Pod Template:")
	d.field(1, "Labels", "%s", keyValues(t.Labels))
	for _, c := range t.Spec.Containers {
		d.line(1, c.Name+":")
		d.field(2, "Image", "%s", c.Image)
		if len(c.Command) > 0 || len(c.Args) > 0 {
			d.field(2, "Command", "%s", strings.Join(append(append([]string(nil), c.Command...), c.Args...), " "))
		}
		for _, p := range c.Ports {
			d.field(2, "Port", "%d/%s", p.ContainerPort, p.Protocol)
		}
	}
}

func conditions(d *describer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	d.line(0, "Conditions:")
	d.table(1, "Type\tStatus\tReason\tMessage", rows)
}

func selector(s *metav1.LabelSelector) string {
	if s == nil {
		return "<none>"
	}
	return metav1.FormatLabelSelector(s)
}

func intOrString(v *intstr.IntOrString) string {
	if v == nil {
		return "25%"
	}
	return v.String()
}

func int32Or(v *int32, def int32) int32 {
	if v == nil {
		return def
	}
	return *v
}

func timeOr(t *metav1.Time) string {
	if t == nil {
		return "<none>"
	}
	return t.UTC().Format(time.RFC3339)
}

// describeLoadBalancer adds kubectl's load balancer and traffic policy
// lines of a Service (only the ones that apply).
func describeLoadBalancer(d *describer, x *corev1.Service) {
	if x.Spec.Type == corev1.ServiceTypeLoadBalancer {
		d.field(0, "LoadBalancer Ingress", "%s", tables.ExternalIP(x)) // <pending> while it has none
		if len(x.Spec.LoadBalancerSourceRanges) > 0 {
			d.field(0, "LoadBalancer Source Ranges", "%s", strings.Join(x.Spec.LoadBalancerSourceRanges, ","))
		}
	}
	if x.Spec.ExternalTrafficPolicy != "" {
		d.field(0, "External Traffic Policy", "%s", x.Spec.ExternalTrafficPolicy)
	}
	if x.Spec.InternalTrafficPolicy != nil {
		d.field(0, "Internal Traffic Policy", "%s", *x.Spec.InternalTrafficPolicy)
	}
	if x.Spec.HealthCheckNodePort != 0 {
		d.field(0, "HealthCheck NodePort", "%d", x.Spec.HealthCheckNodePort)
	}
}
