// Package podmetrics holds the latest CPU and memory usage of every pod, as
// its node's agent last reported it, in the controller's memory — what
// metrics-server keeps for Kubernetes: not in the store, lost on restart and
// refilled by the next reports (every agent reports every usage period,
// 15 s by default, like the kubelet's resource metrics).
//
// Agents send one NodeReport per period (PUT /api/v1/nodes/{name}/usage);
// the API server serves what Store holds as metrics.k8s.io/v1beta1
// PodMetrics and NodeMetrics (GET /apis/metrics.k8s.io/v1beta1/…), and the
// HorizontalPodAutoscaler step reads it through controllers.Options.Usage.
// The types mirror k8s.io/metrics' v1beta1 JSON, so kubectl top reads them.
package podmetrics
