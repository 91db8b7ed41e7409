package apiclient

import (
	"context"
	"net/http"

	corev1 "k8s.io/api/core/v1"
)

// ClusterID returns the cluster's ID (GET /api/v1/cluster): the value of
// the reconcile.cluster label on its Podman objects.
func (c *Client) ClusterID(ctx context.Context) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/cluster", nil, nil, &out); err != nil {
		return "", err
	}
	return out.ID, nil
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
