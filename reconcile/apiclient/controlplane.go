package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ControlPlane is the agent's view of the controller over HTTP: it
// implements agent.ControlPlane (asserted where the two meet, in cmd/reconcile,
// so that this package does not import the agent and its Podman bindings).
type ControlPlane struct{ *Client }

// RegisterNode creates or refreshes the node.
func (c ControlPlane) RegisterNode(ctx context.Context, node *corev1.Node) error {
	return c.do(ctx, http.MethodPost, "/api/v1/nodes", nil, node, nil)
}

// Heartbeat refreshes the node's Ready condition.
func (c ControlPlane) Heartbeat(ctx context.Context, node string) error {
	return c.notFound(c.do(ctx, http.MethodPost, "/api/v1/nodes/"+url.PathEscape(node)+"/heartbeat", nil, nil, nil))
}

// ListPods returns the pods bound to node.
func (c ControlPlane) ListPods(ctx context.Context, node string) ([]*corev1.Pod, uint64, error) {
	items, rv, err := c.List(ctx, "Pod", "", url.Values{"node": {node}})
	if err != nil {
		return nil, 0, err
	}
	pods := make([]*corev1.Pod, 0, len(items))
	for _, o := range items {
		pods = append(pods, o.(*corev1.Pod))
	}
	return pods, rv, nil
}

// WaitPods returns at the first change to the node's pods after afterRV, or
// after a bounded wait; either way the agent lists again.
func (c ControlPlane) WaitPods(ctx context.Context, node string, afterRV uint64) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	err := c.waitOnce(ctx, afterRV, node)
	if errors.Is(err, ErrGone) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// GetConfigMap returns a ConfigMap.
func (c ControlPlane) GetConfigMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error) {
	o, err := c.Get(ctx, objects.Key{Kind: "ConfigMap", Namespace: ns, Name: name})
	if err != nil {
		return nil, c.notFound(err)
	}
	return o.(*corev1.ConfigMap), nil
}

// GetSecret returns a Secret with its values (the API masks them otherwise).
func (c ControlPlane) GetSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	o, err := c.GetRevealed(ctx, objects.Key{Kind: "Secret", Namespace: ns, Name: name})
	if err != nil {
		return nil, c.notFound(err)
	}
	return o.(*corev1.Secret), nil
}

// UpdatePodStatus writes pod.Status.
func (c ControlPlane) UpdatePodStatus(ctx context.Context, pod *corev1.Pod) error {
	q := url.Values{"namespace": {pod.Namespace}}
	return c.notFound(c.do(ctx, http.MethodPut, "/api/v1/pods/"+url.PathEscape(pod.Name)+"/status", q, pod, nil))
}

// notFound keeps the not-found of an answer recognisable: the agent's
// ErrNotFound is apierrors.ErrNotFound, which decoded answers match already.
func (ControlPlane) notFound(err error) error { return err }

// FinalizePod removes a pod whose containers the agent has stopped (the
// end of graceful deletion). The uid guards against removing a newer pod
// of the same name.
func (c ControlPlane) FinalizePod(ctx context.Context, pod *corev1.Pod) error {
	q := url.Values{"namespace": {pod.Namespace}, "uid": {string(pod.UID)}}
	return c.notFound(c.do(ctx, http.MethodDelete, "/api/v1/pods/"+url.PathEscape(pod.Name), q, nil, nil))
}

// RecordEvent stores an event about an object of this node.
func (c ControlPlane) RecordEvent(ctx context.Context, ev *corev1.Event) error {
	return c.do(ctx, http.MethodPost, "/api/v1/events", nil, ev, nil)
}
