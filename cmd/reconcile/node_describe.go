package main

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// describeNode adds what `describe node` shows of a node's lifecycle, as
// kubectl words it: taints, unschedulable, the agent's version and the
// node's certificate expiry.
func describeNode(d *describer, x *corev1.Node) {
	d.field(0, "Taints", "%s", dash(strings.ReplaceAll(taints(x.Spec.Taints), ",", ", ")))
	d.field(0, "Unschedulable", "%t", x.Spec.Unschedulable)
	d.field(0, "Agent Version", "%s", dash(x.Status.NodeInfo.KubeletVersion))
	d.field(0, "Container Runtime", "%s", dash(x.Status.NodeInfo.ContainerRuntimeVersion))
	d.field(0, "Certificate Expires", "%s", certificateExpiry(x, d.now))
}
