package discovery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// Discovery keeps the DNS records and the service list of one agent up to
// date from a proxy.Source (the same source the proxy reads).
type Discovery struct {
	Source proxy.Source
	Server *Server
	Domain string
	Log    *slog.Logger

	// ListServices, when set, lists one namespace's services at the moment
	// a container starts, so its variables hold exactly the services that
	// exist then (the watched cache may lag the pod by a moment).
	ListServices func(ctx context.Context, namespace string) ([]*corev1.Service, error)

	mu       sync.Mutex
	services []*corev1.Service
	synced   chan struct{}
	once     sync.Once
}

// New returns a Discovery feeding server from source.
func New(source proxy.Source, server *Server, domain string, log *slog.Logger) *Discovery {
	if log == nil {
		log = slog.Default()
	}
	return &Discovery{Source: source, Server: server, Domain: domain, Log: log, synced: make(chan struct{})}
}

// Run lists and waits for changes until ctx ends. A failing source is
// retried each second; the last good records keep being served meanwhile.
func (d *Discovery) Run(ctx context.Context) {
	for ctx.Err() == nil {
		svcs, eps, rv, err := d.Source.List(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.Log.Warn("dns: listing services failed; retrying in 1s", "err", err)
				ctxwait.Sleep(ctx, time.Second)
			}
			continue
		}
		d.Update(svcs, eps)
		if err := d.Source.Wait(ctx, rv); err != nil && ctx.Err() == nil {
			d.Log.Warn("dns: waiting for service changes failed; retrying in 1s", "err", err)
			ctxwait.Sleep(ctx, time.Second)
		}
	}
}

// Update installs a new list of services and endpoints.
func (d *Discovery) Update(svcs []*corev1.Service, eps []*corev1.Endpoints) {
	if d.Server != nil {
		d.Server.SetIndex(BuildIndex(d.Domain, svcs, eps))
	}
	d.mu.Lock()
	d.services = svcs
	d.mu.Unlock()
	d.once.Do(func() { close(d.synced) })
}

// ServiceEnv is the agent.Options.ServiceEnv hook: the variables of the
// namespace's services. With ListServices it asks the controller; else it
// uses the watched list, and before the first list it asks the source, so
// a pod started at agent start-up sees the services that exist.
func (d *Discovery) ServiceEnv(ctx context.Context, namespace string) (map[string]string, error) {
	if d.ListServices != nil {
		svcs, err := d.ListServices(ctx, namespace)
		if err != nil {
			return nil, err
		}
		return ServiceEnv(svcs, namespace), nil
	}
	select {
	case <-d.synced:
	default:
		svcs, _, _, err := d.Source.List(ctx)
		if err != nil {
			return nil, err
		}
		return ServiceEnv(svcs, namespace), nil
	}
	d.mu.Lock()
	svcs := d.services
	d.mu.Unlock()
	return ServiceEnv(svcs, namespace), nil
}
