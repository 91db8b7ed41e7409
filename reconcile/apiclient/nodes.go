package apiclient

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
)

// Nodes is the agent's view of the cluster's nodes over HTTP, for the pod
// network (every node's podCIDR and address).
type Nodes struct{ *Client }

// ListNodes returns every node and the store's resourceVersion.
func (c Nodes) ListNodes(ctx context.Context) ([]*corev1.Node, uint64, error) {
	items, rv, err := c.Client.List(ctx, "Node", "", nil)
	if err != nil {
		return nil, 0, err
	}
	nodes := make([]*corev1.Node, 0, len(items))
	for _, o := range items {
		nodes = append(nodes, o.(*corev1.Node))
	}
	return nodes, rv, nil
}

// WaitNodes returns at the first node change after afterRV, or after a
// bounded wait.
func (c Nodes) WaitNodes(ctx context.Context, afterRV uint64) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	err := c.Watch(ctx, afterRV, "Node", "", func(WatchEvent) bool { return false })
	if err == nil || errors.Is(err, ErrGone) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}
