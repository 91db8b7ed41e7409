package apiclient

import (
	"context"
	"errors"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Services is the agent's source of Services and Endpoints over HTTP, for
// the proxy and the DNS server.
type Services struct{ *Client }

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

// ServiceCache is a Source for the proxy's steady state: a KindCache of
// Services and Endpoints, so a sync after one change costs no list of
// 10,000 objects over HTTP. The resourceVersion List returns is the
// cache's own change counter, for Wait.
type ServiceCache struct{ *KindCache }

// NewServiceCache starts filling a cache from the controller; it stops
// when ctx ends.
func NewServiceCache(ctx context.Context, c *Client) *ServiceCache {
	return &ServiceCache{NewKindCache(ctx, c, false, "Service", "Endpoints")}
}

// listBackoff spaces the cache's retries of a failed list: 1 s, doubling
// up to 30 s, with jitter so a cluster's agents do not retry in step; a
// successful list starts it over.
var listBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: math.MaxInt32, Cap: 30 * time.Second}

// List returns the cached objects (waiting for the first list).
func (s *ServiceCache) List(ctx context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error) {
	objs, seq, err := s.Objects(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	var svcs []*corev1.Service
	var eps []*corev1.Endpoints
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Service:
			svcs = append(svcs, o)
		case *corev1.Endpoints:
			eps = append(eps, o)
		}
	}
	return svcs, eps, seq, nil
}
