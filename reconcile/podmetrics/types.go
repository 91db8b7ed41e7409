package podmetrics

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// APIVersion is the group version the metrics routes serve.
const APIVersion = "metrics.k8s.io/v1beta1"

// PodMetrics is metrics.k8s.io/v1beta1 PodMetrics: the usage of one pod's
// containers over Window, ending at Timestamp.
type PodMetrics struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Timestamp         metav1.Time        `json:"timestamp"`
	Window            metav1.Duration    `json:"window"`
	Containers        []ContainerMetrics `json:"containers"`
}

// ContainerMetrics is one container's usage: cpu in cores (nanocores in
// the JSON, "12345n"), memory as its working set in bytes.
type ContainerMetrics struct {
	Name  string              `json:"name"`
	Usage corev1.ResourceList `json:"usage"`
}

// PodMetricsList is metrics.k8s.io/v1beta1 PodMetricsList.
type PodMetricsList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PodMetrics `json:"items"`
}

// NodeMetrics is metrics.k8s.io/v1beta1 NodeMetrics. Usage is the sum of
// the node's pods' usage as its agent reported them (the agent does not
// read the host's own cgroups).
type NodeMetrics struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Timestamp         metav1.Time         `json:"timestamp"`
	Window            metav1.Duration     `json:"window"`
	Usage             corev1.ResourceList `json:"usage"`
}

// NodeMetricsList is metrics.k8s.io/v1beta1 NodeMetricsList.
type NodeMetricsList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodeMetrics `json:"items"`
}

// NodeReport is what an agent sends each usage period: the usage of every
// running pod of its node (metadata.uid set, so a report about an older pod
// of the same name is not taken for the new one). The pods it leaves out
// have no usage any more.
type NodeReport struct {
	Node string       `json:"node"`
	Pods []PodMetrics `json:"pods"`
}
