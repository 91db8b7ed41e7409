package apiserver

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/kubeapi"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

// The metrics.k8s.io group in the Kubernetes API's discovery, so `kubectl
// top` and the tools built on it find the usage the API server serves
// (usage.go) as they find metrics-server's.
func init() {
	version := metav1.GroupVersionForDiscovery{GroupVersion: podmetrics.APIVersion, Version: "v1beta1"}
	kubeapi.RegisterGroup(kubeapi.ExtraGroup{
		Group: metav1.APIGroup{Name: "metrics.k8s.io", Versions: []metav1.GroupVersionForDiscovery{version}, PreferredVersion: version},
		Resources: map[string]metav1.APIResourceList{"v1beta1": {GroupVersion: podmetrics.APIVersion, APIResources: []metav1.APIResource{
			{Name: "pods", Namespaced: true, Kind: "PodMetrics", Verbs: metav1.Verbs{"get", "list"}},
			{Name: "nodes", Namespaced: false, Kind: "NodeMetrics", Verbs: metav1.Verbs{"get", "list"}},
		}}},
	})
}
