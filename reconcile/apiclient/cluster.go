package apiclient

import (
	"context"
	"net/http"
	"net/url"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// ClusterID returns the cluster's ID (GET /api/v1/cluster): the value of
// the reconcile.cluster label on its Podman objects.
func (c *Client) ClusterID(ctx context.Context) (string, error) {
	info, err := c.ClusterInfo(ctx)
	return info.ID, err
}

// ClusterInfo returns GET /api/v1/cluster: the cluster's ID and pod
// network backend.
func (c *Client) ClusterInfo(ctx context.Context) (apitypes.ClusterInfo, error) {
	var out apitypes.ClusterInfo
	err := c.do(ctx, http.MethodGet, "/api/v1/cluster", nil, nil, &out)
	return out, err
}

// PodNetworkBackend returns the cluster's pod network backend ("": the
// default).
func (c *Client) PodNetworkBackend(ctx context.Context) (string, error) {
	info, err := c.ClusterInfo(ctx)
	return info.PodNetworkBackend, err
}

// AdoptPod asks the controller to re-create a pod its agent runs but the
// store does not know (POST /api/v1/pods/adopt). The result is "adopted",
// "exists" or "name-taken".
func (c *Client) AdoptPod(ctx context.Context, pod *corev1.Pod) (string, error) {
	var out struct {
		Result  string `json:"result"`
		Message string `json:"message"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/pods/adopt", nil, pod, &out); err != nil {
		return "", err
	}
	return out.Result, nil
}

// ReportNodeReady sets the node's Ready condition (PUT
// /api/v1/nodes/{name}/ready): the agent's way to say NotReady while its
// container runtime is down. It counts as a heartbeat.
func (c *Client) ReportNodeReady(ctx context.Context, node string, cond corev1.NodeCondition) error {
	return c.do(ctx, http.MethodPut, "/api/v1/nodes/"+url.PathEscape(node)+"/ready", nil, cond, nil)
}
