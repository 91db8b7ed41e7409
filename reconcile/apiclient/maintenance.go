package apiclient

import (
	"context"
	"net/http"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// SetUnschedulable cordons (true) or uncordons (false) a node through
// PATCH /api/v1/nodes/{name} and returns the Node as stored.
func (c *Client) SetUnschedulable(ctx context.Context, node string, unschedulable bool) (*corev1.Node, error) {
	patch := map[string]any{"spec": map[string]any{"unschedulable": unschedulable}}
	var n corev1.Node
	if err := c.do(ctx, http.MethodPatch, "/api/v1/nodes/"+url.PathEscape(node), nil, patch, &n); err != nil {
		return nil, err
	}
	objects.SetTypeMeta(&n, "Node")
	return &n, nil
}

// Evict evicts a pod through POST /api/v1/pods/{name}/eviction: it is
// deleted gracefully so its controller replaces it. With uid set, only
// that pod (not a new one of the same name: 409 Conflict). It returns the
// server's answer ("evicted", "already terminating"); a disruption budget's
// refusal is a TooManyRequests error (apierrors.Is(err, apierrors.ReasonTooManyRequests)).
func (c *Client) Evict(ctx context.Context, namespace, name string, uid types.UID) (string, error) {
	ev := policyv1.Eviction{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "Eviction"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if uid != "" {
		ev.DeleteOptions = &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
	}
	var ack apitypes.Ack
	err := c.do(ctx, http.MethodPost, "/api/v1/pods/"+url.PathEscape(name)+"/eviction", url.Values{"namespace": {namespace}}, ev, &ack)
	return ack.Status, err
}
