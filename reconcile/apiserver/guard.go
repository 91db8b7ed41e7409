package apiserver

import (
	"errors"
	"fmt"
	"math/big"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// guard runs every request but the exempt ones (GET /healthz, the signed
// POST /hooks/{source}) through authentication (401), the revocation
// check of certificate identities (401) and the authorizer (403) before
// its handler, which finds the identity in the request's context
// (authz.IdentityFrom) for the per-object filters of lists and watches and
// for the admission of node writes.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if authz.Exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		id, attrs, code, err := authz.CheckParsed(r, s.authenticate, s.graph())
		if n, ok := w.(attributesNoter); ok && attrs.Verb != "" {
			n.noteAttributes(attrs) // the metrics name the request by them (observe.go)
		}
		if code != 0 {
			writeError(w, code, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(authz.WithIdentity(r.Context(), id)))
	})
}

// authenticate finds the request's identity. A server without a Token
// and a request without a client certificate is an in-process test
// handler: admin.
func (s *Server) authenticate(r *http.Request) (authz.Identity, error) {
	verified := r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0
	if s.Token == "" && !verified {
		return authz.Identity{Name: authz.TokenUser, Role: authz.RoleAdmin}, nil
	}
	id, err := authz.Authenticate(r, s.Token, s.people())
	if err != nil || !verified || s.Revoked == nil {
		return id, err
	}
	if serial := r.TLS.VerifiedChains[0][0].SerialNumber; s.Revoked(serial) {
		return authz.Identity{}, revokedError(id, serial)
	}
	return id, nil
}

// people is the lookup of people's tokens, nil when none are served.
func (s *Server) people() authz.People {
	if s.Users == nil {
		return nil
	}
	return s.Users
}

func revokedError(id authz.Identity, serial *big.Int) error {
	if id.Role == authz.RoleNode {
		return apierrors.New(apierrors.ReasonUnauthorized, "certificate revoked: the node was deleted; join it again with a new token (certificate serial %s of %s)", pki.SerialString(serial), id.Name)
	}
	return apierrors.New(apierrors.ReasonUnauthorized, "certificate revoked: serial %s of user %q is no longer accepted (the user was deleted: `reconcile user delete`); ask an admin for new credentials (`reconcile user create`)", pki.SerialString(serial), id.Name)
}

// identity is the request's identity (set by guard; admin for exempt
// routes, which never ask).
func identity(r *http.Request) authz.Identity {
	if id, ok := authz.IdentityFrom(r.Context()); ok {
		return id
	}
	return authz.Identity{Name: authz.TokenUser, Role: authz.RoleAdmin}
}

// admit runs authz.Admit on a body a handler decoded (node writes: a
// registration, an event, an adopted pod) and answers 403 when it is
// refused; old is the stored object the body replaces, nil if none.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, obj, old objects.Object) bool {
	id := identity(r)
	if id.Role != authz.RoleNode {
		return true
	}
	attrs, err := authz.ParseRequest(r.Method, r.URL)
	if err == nil {
		err = authz.Admit(id, attrs, obj, old, s.graph())
	}
	if err != nil {
		writeErr(w, err)
		return false
	}
	return true
}

// visible filters a list's objects to those the request's identity may
// see (a node sees its own pods, referenced ConfigMaps and Secrets…).
func (s *Server) visible(r *http.Request, items []objects.Object) ([]objects.Object, error) {
	id := identity(r)
	if id.Role != authz.RoleNode {
		return items, nil
	}
	ok := authz.Visibility(id, s.graph())
	out := items[:0:0]
	for _, o := range items {
		show, err := ok(o)
		if err != nil {
			return nil, err
		}
		if show {
			out = append(out, o)
		}
	}
	return out, nil
}

// graph answers the authorizer's questions from the store: the pods bound
// to a node, read through the store's shared decode cache (no copies, no
// second informer). A pod's node is one read; the store has no index by
// node, so whether a node's pods reference a Secret or ConfigMap scans the
// pods of its namespace (BENCHMARKS.md: about 8 ms for 10,000).
func (s *Server) graph() authz.Graph { return storeGraph{s.Store} }

type storeGraph struct{ st *store.Store }

func (g storeGraph) Pod(namespace, name string) (*corev1.Pod, error) {
	o, err := g.st.Get(objects.Key{Kind: "Pod", Namespace: namespace, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, _ := o.(*corev1.Pod)
	return p, nil
}

func (g storeGraph) Controller(namespace string, ref metav1.OwnerReference) (objects.Object, error) {
	o, err := g.st.Get(objects.Key{Kind: ref.Kind, Namespace: namespace, Name: ref.Name})
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.GetUID() != ref.UID) {
		return nil, nil
	}
	return o, err
}

func (g storeGraph) Ingresses(namespace string) ([]*networkingv1.Ingress, error) {
	items, _, err := g.st.ListShared("Ingress", namespace)
	if err != nil {
		return nil, fmt.Errorf("listing ingresses: %w", err)
	}
	out := make([]*networkingv1.Ingress, 0, len(items))
	for _, o := range items {
		if ing, ok := o.(*networkingv1.Ingress); ok {
			out = append(out, ing)
		}
	}
	return out, nil
}

func (g storeGraph) PodsOn(node, namespace string) ([]*corev1.Pod, error) {
	items, _, err := g.st.ListShared("Pod", namespace)
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	var out []*corev1.Pod
	for _, o := range items {
		if p, ok := o.(*corev1.Pod); ok && p.Spec.NodeName == node {
			out = append(out, p)
		}
	}
	return out, nil
}
