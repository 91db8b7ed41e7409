package ingress

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

type fixedCache struct{ objs []objects.Object }

func (c *fixedCache) Objects(context.Context) ([]objects.Object, uint64, error) {
	return c.objs, 1, nil
}
func (c *fixedCache) Wait(context.Context, uint64) error { return nil }

// TestCacheSourceFetchesMissingSecrets: a TLS Secret the cache lacks is
// read once with Get and kept; once the cache has it, the cache's copy is
// used; a Secret no Ingress names any more is forgotten.
func TestCacheSourceFetchesMissingSecrets(t *testing.T) {
	secure := ing("secure", 0, "", map[string][]path{"a.example.com": {{"/", "Prefix", "web", 80}}})
	secure.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"a.example.com"}, SecretName: "a-tls"}, {SecretName: "gone"}}
	stored := tlsSecret(t, "a-tls", "a.example.com")
	gets := 0
	cache := &fixedCache{objs: []objects.Object{secure}}
	src := &CacheSource{Cache: cache, Get: func(_ context.Context, k objects.Key) (objects.Object, error) {
		gets++
		if k.Name == "a-tls" {
			return stored, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, k.Name)
	}}
	secretsOf := func() []*corev1.Secret {
		snap, _, err := src.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return snap.Secrets
	}
	if s := secretsOf(); len(s) != 1 || s[0] != stored {
		t.Fatalf("first snapshot: secrets %v, want the fetched a-tls", s)
	}
	if s := secretsOf(); len(s) != 1 || gets != 3 { // a-tls kept; "gone" asked again
		t.Fatalf("second snapshot: %d secrets after %d gets, want a-tls kept (3 gets: a-tls once, gone twice)", len(s), gets)
	}
	fresh := stored.DeepCopy()
	cache.objs = append(cache.objs, fresh)
	if s := secretsOf(); len(s) != 1 || s[0] != fresh {
		t.Fatalf("with the Secret in the cache: %v, want the cache's copy", s)
	}
	cache.objs = nil
	if s := secretsOf(); len(s) != 0 || len(src.fetched) != 0 {
		t.Fatalf("no Ingress: secrets %v, kept %v; want none", s, src.fetched)
	}
}
