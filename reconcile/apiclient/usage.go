package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

// ReportUsage sends a node's pod usage for the period (agent.UsageReporter).
func (c *Client) ReportUsage(ctx context.Context, r podmetrics.NodeReport) error {
	return c.do(ctx, http.MethodPut, "/api/v1/nodes/"+url.PathEscape(r.Node)+"/usage", nil, r, nil)
}

// PodMetrics lists the pods' usage of namespace ("" = every namespace)
// from the metrics API (what `reconcile top pods` shows).
func (c *Client) PodMetrics(ctx context.Context, namespace string) (podmetrics.PodMetricsList, error) {
	path := "/apis/metrics.k8s.io/v1beta1/pods"
	if namespace != "" {
		path = "/apis/metrics.k8s.io/v1beta1/namespaces/" + url.PathEscape(namespace) + "/pods"
	}
	var out podmetrics.PodMetricsList
	err := c.do(ctx, http.MethodGet, path, nil, nil, &out)
	return out, err
}

// NodeMetrics lists the nodes' usage (`reconcile top nodes`).
func (c *Client) NodeMetrics(ctx context.Context) (podmetrics.NodeMetricsList, error) {
	var out podmetrics.NodeMetricsList
	err := c.do(ctx, http.MethodGet, "/apis/metrics.k8s.io/v1beta1/nodes", nil, nil, &out)
	return out, err
}
