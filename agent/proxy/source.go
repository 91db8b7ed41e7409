package proxy

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// Source is where the agent reads services and endpoints from: the HTTP
// client in reconcile/apiclient (Services), or an in-process store in tests.
// The proxy and the agent's DNS server both use it.
type Source interface {
	// List returns every Service and every Endpoints object of the cluster
	// (all namespaces) and the store's resourceVersion at the time of the
	// list.
	List(ctx context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error)
	// Wait returns when a Service or Endpoints may have changed after
	// afterRV. It is a long poll: it also returns nil after a bounded time
	// (and when afterRV is too old for the server), so the caller lists
	// again either way. It returns an error only when the source cannot be
	// reached.
	Wait(ctx context.Context, afterRV uint64) error
}
