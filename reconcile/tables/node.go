package tables

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// nodeRow is `get nodes`: kubectl's columns (STATUS says
// SchedulingDisabled for a cordoned node), and with -o wide the addresses,
// pod CIDR, taints, the node's certificate expiry and its capacity.
func nodeRow(x *corev1.Node, wide bool, age string, now time.Time) (header, cols []string) {
	header = []string{"NAME", "STATUS", "AGE", "VERSION"}
	cols = []string{x.Name, nodeStatus(x), age, dash(x.Status.NodeInfo.KubeletVersion)}
	if !wide {
		return header, cols
	}
	header = append(header, "INTERNAL-IP", "EXTERNAL-IP", "POD-CIDR", "TAINTS", "CERTIFICATE-EXPIRES", "CPU", "MEMORY", "PODS", "CONTAINER-RUNTIME")
	a := x.Status.Allocatable
	return header, append(cols, dash(nodeAddress(x, corev1.NodeInternalIP)), dash(nodeAddress(x, corev1.NodeExternalIP)),
		dash(x.Spec.PodCIDR), dash(taints(x.Spec.Taints)), certificateExpiry(x, now),
		a.Cpu().String(), a.Memory().String(), a.Pods().String(), dash(x.Status.NodeInfo.ContainerRuntimeVersion))
}

// nodeStatus is kubectl's node STATUS: Ready, NotReady or Unknown (no
// Ready condition), with ",SchedulingDisabled" when cordoned.
func nodeStatus(n *corev1.Node) string {
	s := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			s = "NotReady"
			if c.Status == corev1.ConditionTrue {
				s = "Ready"
			}
		}
	}
	if n.Spec.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	var out []string
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			out = append(out, a.Address)
		}
	}
	return strings.Join(out, ",")
}

// taints as kubectl describe shows them: key[=value]:Effect.
func taints(ts []corev1.Taint) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ToString())
	}
	return strings.Join(out, ",")
}

// certificateExpiry reads the agent's node.reconcile.dev/certificate-not-after
// annotation: the date and how long is left, "<none>" when the agent does
// not report it.
func certificateExpiry(n *corev1.Node, now time.Time) string {
	v, ok := n.Annotations[objects.AnnotationCertificateNotAfter]
	if !ok || v == "" {
		return "<none>"
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return "<invalid>"
	}
	if !t.After(now) {
		return t.UTC().Format(time.RFC3339) + " (expired)"
	}
	return fmt.Sprintf("%s (in %s)", t.UTC().Format(time.RFC3339), ago(now, t))
}
