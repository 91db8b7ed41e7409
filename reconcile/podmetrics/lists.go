package podmetrics

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// PodList wraps pods in a PodMetricsList.
func PodList(pods []PodMetrics) PodMetricsList {
	if pods == nil {
		pods = []PodMetrics{}
	}
	return PodMetricsList{TypeMeta: metav1.TypeMeta{Kind: "PodMetricsList", APIVersion: APIVersion}, Items: pods}
}

// NodeList wraps nodes in a NodeMetricsList.
func NodeList(nodes []NodeMetrics) NodeMetricsList {
	if nodes == nil {
		nodes = []NodeMetrics{}
	}
	return NodeMetricsList{TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: APIVersion}, Items: nodes}
}
