package tables

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// row renders one object as table columns; the header comes from the
// first object's kind.
func row(o objects.Object, wide bool) (header, cols []string) {
	age := ago(o.GetCreationTimestamp().Time, time.Now())
	switch x := o.(type) {
	case *corev1.Pod:
		ready, restarts := 0, int32(0)
		ids := []string{}
		for _, c := range x.Status.ContainerStatuses {
			if c.Ready {
				ready++
			}
			restarts += c.RestartCount
			ids = append(ids, shortID(c.ContainerID))
		}
		header = []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}
		cols = []string{x.Name, fmt.Sprintf("%d/%d", ready, len(x.Spec.Containers)), podStatus(x), fmt.Sprint(restarts), age}
		if wide {
			header = append(header, "IP", "NODE", "CONTAINERS")
			cols = append(cols, dash(x.Status.PodIP), dash(x.Spec.NodeName), dash(strings.Join(ids, ",")))
		}
	case *appsv1.Deployment:
		header = []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"}
		cols = []string{x.Name, fmt.Sprintf("%d/%d", x.Status.ReadyReplicas, replicas(x.Spec.Replicas)), fmt.Sprint(x.Status.UpdatedReplicas), fmt.Sprint(x.Status.AvailableReplicas), age}
		if wide {
			header = append(header, "IMAGES")
			cols = append(cols, images(x.Spec.Template.Spec))
		}
	case *appsv1.ReplicaSet:
		header = []string{"NAME", "DESIRED", "CURRENT", "READY", "AGE"}
		cols = []string{x.Name, fmt.Sprint(replicas(x.Spec.Replicas)), fmt.Sprint(x.Status.Replicas), fmt.Sprint(x.Status.ReadyReplicas), age}
		if wide {
			header = append(header, "IMAGES")
			cols = append(cols, images(x.Spec.Template.Spec))
		}
	case *corev1.Node:
		header, cols = nodeRow(x, wide, age, time.Now()) // node_table.go
	case *corev1.Service:
		var ports []string
		for _, p := range x.Spec.Ports {
			s := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
			if p.NodePort != 0 {
				s = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
			}
			ports = append(ports, s)
		}
		header = []string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORTS", "AGE"}
		cols = []string{x.Name, string(x.Spec.Type), dash(x.Spec.ClusterIP), externalIPColumn(x), dash(strings.Join(ports, ",")), age}
	case *corev1.Endpoints:
		header, cols = []string{"NAME", "ENDPOINTS", "AGE"}, []string{x.Name, endpointsColumn(x), age} // endpoints_table.go
	case *corev1.ConfigMap:
		header = []string{"NAME", "DATA", "AGE"}
		cols = []string{x.Name, fmt.Sprint(len(x.Data) + len(x.BinaryData)), age}
	case *corev1.Secret:
		header = []string{"NAME", "TYPE", "DATA", "AGE"}
		cols = []string{x.Name, string(x.Type), fmt.Sprint(len(x.Data) + len(x.StringData)), age}
	case *schedulingv1.PriorityClass:
		header, cols = priorityClassRow(x, age) // priorityclass_table.go
	case *policyv1.PodDisruptionBudget:
		header, cols = pdbRow(x, age) // pdb_table.go
	case *autoscalingv2.HorizontalPodAutoscaler:
		header, cols = hpaRow(x, age) // hpa_table.go
	case *networkingv1.Ingress:
		header, cols = ingressRow(x, age) // ingress_table.go
	case *networkingv1.IngressClass:
		header, cols = ingressClassRow(x, age)
	case *corev1.ResourceQuota:
		header, cols = quotaRow(x, age) // quota_table.go
	case *corev1.LimitRange:
		header, cols = limitRangeRow(x)
	default:
		header, cols = otherRow(o, age) // health_table.go: Job, CronJob, Event
	}
	return withHealth(o, header, cols)
}

func printTable(w io.Writer, items []objects.Object, wide, withNS bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	for i, o := range items {
		h, c := row(o, wide)
		if withNS {
			h, c = append([]string{"NAMESPACE"}, h...), append([]string{o.GetNamespace()}, c...)
		}
		if i == 0 {
			fmt.Fprintln(tw, strings.Join(h, "\t"))
		}
		fmt.Fprintln(tw, strings.Join(c, "\t"))
	}
	return tw.Flush()
}

// podStatus is kubectl's STATUS column: a waiting or terminated reason
// when a container has one, the phase otherwise.
func podStatus(p *corev1.Pod) string {
	if p.DeletionTimestamp != nil {
		return "Terminating"
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.State.Waiting != nil && c.State.Waiting.Reason != "" {
			return c.State.Waiting.Reason
		}
		if c.State.Terminated != nil && c.State.Terminated.Reason != "" && p.Status.Phase != corev1.PodSucceeded {
			return c.State.Terminated.Reason
		}
	}
	if p.Status.Phase == "" {
		return "Pending"
	}
	return string(p.Status.Phase)
}

func images(spec corev1.PodSpec) string {
	var out []string
	for _, c := range spec.Containers {
		out = append(out, c.Image)
	}
	return strings.Join(out, ",")
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

func shortID(id string) string {
	if i := strings.Index(id, "://"); i >= 0 {
		id = id[i+3:]
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func dash(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// externalIPColumn is kubectl's EXTERNAL-IP: the load balancer's
// addresses, <pending> while a LoadBalancer has none, <none> otherwise.
func externalIPColumn(s *corev1.Service) string {
	var ips []string
	for _, in := range s.Status.LoadBalancer.Ingress {
		ips = append(ips, cmp.Or(in.IP, in.Hostname))
	}
	switch {
	case len(ips) > 0:
		return strings.Join(ips, ",")
	case s.Spec.Type == corev1.ServiceTypeLoadBalancer:
		return "<pending>"
	}
	return "<none>"
}
