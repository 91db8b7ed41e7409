package apiclient

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/proxy"
)

// Services is the agent's source of Services and Endpoints over HTTP, for
// the proxy and the DNS server.
type Services struct{ *Client }

var _ proxy.Source = Services{}

// List returns every Service and Endpoints of the cluster and the
// resourceVersion to wait from (the smaller of the two lists', so no change
// between the two requests is missed).
func (c Services) List(ctx context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error) {
	svcItems, rv1, err := c.Client.List(ctx, "Service", "", nil)
	if err != nil {
		return nil, nil, 0, err
	}
	epItems, rv2, err := c.Client.List(ctx, "Endpoints", "", nil)
	if err != nil {
		return nil, nil, 0, err
	}
	svcs := make([]*corev1.Service, 0, len(svcItems))
	for _, o := range svcItems {
		svcs = append(svcs, o.(*corev1.Service))
	}
	eps := make([]*corev1.Endpoints, 0, len(epItems))
	for _, o := range epItems {
		eps = append(eps, o.(*corev1.Endpoints))
	}
	return svcs, eps, min(rv1, rv2), nil
}

// Wait returns at the first Service or Endpoints change after afterRV, or
// after a bounded wait. It watches both kinds at once (the server filters a
// watch by one kind) and returns when either sees an event.
func (c Services) Wait(ctx context.Context, afterRV uint64) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	errs := make(chan error, 2)
	for _, kind := range []string{"Service", "Endpoints"} {
		go func() {
			errs <- c.Watch(ctx, afterRV, kind, "", func(WatchEvent) bool { return false })
		}()
	}
	err := <-errs
	cancel() // the other watch ends too; its result is not needed
	if err == nil || errors.Is(err, ErrGone) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}
