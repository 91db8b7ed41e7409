package ingress

import (
	"context"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ObjectCache is a cache of the kinds the table is built from (Ingress,
// IngressClass, Service, Endpoints, Secret with values):
// apiclient.KindCache.
type ObjectCache interface {
	Objects(ctx context.Context) ([]objects.Object, uint64, error)
	Wait(ctx context.Context, after uint64) error
}

// Kinds are the kinds an ObjectCache for CacheSource must hold.
var Kinds = []string{"Ingress", "IngressClass", "Service", "Endpoints", "Secret"}

// CacheSource is the Source over a cache of the controller's objects.
// A TLS Secret an Ingress names that the cache lacks (it existed before
// the Ingress referenced it, so the node's filtered watch never carried
// it) is fetched once with Get and kept until the cache has it; later
// changes to it come through the watch, as the node may now read it.
type CacheSource struct {
	Cache ObjectCache
	// Get reads one object with Secret values (apiclient's GetRevealed).
	Get func(ctx context.Context, key objects.Key) (objects.Object, error)

	mu      sync.Mutex
	fetched map[string]*corev1.Secret // "ns/name" → out-of-band copy
}

// Snapshot sorts the cached objects by kind and adds the missing Secrets.
func (s *CacheSource) Snapshot(ctx context.Context) (Snapshot, uint64, error) {
	objs, version, err := s.Cache.Objects(ctx)
	if err != nil {
		return Snapshot{}, 0, err
	}
	var snap Snapshot
	have := map[string]bool{}
	for _, o := range objs {
		switch o := o.(type) {
		case *networkingv1.Ingress:
			snap.Ingresses = append(snap.Ingresses, o)
		case *networkingv1.IngressClass:
			snap.Classes = append(snap.Classes, o)
		case *corev1.Service:
			snap.Services = append(snap.Services, o)
		case *corev1.Endpoints:
			snap.Endpoints = append(snap.Endpoints, o)
		case *corev1.Secret:
			snap.Secrets = append(snap.Secrets, o)
			have[o.Namespace+"/"+o.Name] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetched == nil {
		s.fetched = map[string]*corev1.Secret{}
	}
	wanted := map[string]bool{}
	for _, ref := range SecretsReferenced(snap.Ingresses, snap.Classes) {
		wanted[ref] = true
		if have[ref] {
			delete(s.fetched, ref)
			continue
		}
		sec, ok := s.fetched[ref]
		if !ok && s.Get != nil {
			ns, name, _ := strings.Cut(ref, "/")
			if o, err := s.Get(ctx, objects.Key{Kind: "Secret", Namespace: ns, Name: name}); err == nil {
				sec, _ = o.(*corev1.Secret)
				if sec != nil {
					s.fetched[ref] = sec
				}
			}
		}
		if sec != nil {
			snap.Secrets = append(snap.Secrets, sec)
		}
	}
	for ref := range s.fetched {
		if !wanted[ref] {
			delete(s.fetched, ref)
		}
	}
	return snap, version, nil
}

// Wait waits on the cache.
func (s *CacheSource) Wait(ctx context.Context, after uint64) error { return s.Cache.Wait(ctx, after) }
