package apiserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// maxObjectBody bounds a PUT body (the store refuses objects near Badger's
// value limit anyway; a manifest is a few KiB).
const maxObjectBody = 4 << 20

// replace serves PUT /api/v1/{plural}/{name}[?namespace=NS]: replace an
// object's spec, labels and annotations as `kubectl replace` does (the
// stored status, uid and creation time stay; a resourceVersion in the body
// must match the stored one). Only kinds users write may be replaced; a
// git-managed object changed this way is drift: its source heals or
// reports it (see reconcile/sources/drift.go).
func (s *Server) replace(w http.ResponseWriter, r *http.Request) {
	k, ok := kindFor(w, r.PathValue("plural"))
	if !ok {
		return
	}
	if !k.Manifest {
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s are written by the system only: change the object it comes from", k.Plural))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxObjectBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("reading the object: %w", err))
		return
	}
	o, err := objects.Decode(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("the body is not a %s object: %w", k.Kind, err))
		return
	}
	ns := r.URL.Query().Get("namespace")
	if ns == "" {
		ns = o.GetNamespace()
	}
	if ns == "" && k.Namespaced {
		ns = "default"
	}
	if !k.Namespaced {
		ns = ""
	}
	key := objects.KeyOf(o)
	switch {
	case key.Kind != k.Kind:
		writeError(w, http.StatusBadRequest, fmt.Errorf("the body is a %s, the path names %s", key.Kind, k.Plural))
		return
	case o.GetName() != r.PathValue("name"):
		writeError(w, http.StatusBadRequest, fmt.Errorf("the body names %q, the path %q", o.GetName(), r.PathValue("name")))
		return
	case o.GetNamespace() != "" && o.GetNamespace() != ns:
		writeError(w, http.StatusBadRequest, fmt.Errorf("the body's namespace %q differs from ?namespace=%s", o.GetNamespace(), ns))
		return
	}
	o.SetNamespace(ns)
	if k := maskedKey(o); k != "" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("Secret %s/%s: data %q holds the masked placeholder, not a value: get the Secret with ?reveal=true (reconcile get secret %s --reveal) before replacing it", ns, o.GetName(), k, o.GetName()))
		return
	}
	err = s.Store.Update(func(tx *store.Tx) error { return tx.Update(o) })
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Errorf("%s %s/%s does not exist: PUT replaces existing objects only", k.Kind, ns, o.GetName()))
		return
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, fmt.Errorf("%w: get the object again and retry", err))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err)
		return
	}
	stored, err := s.Store.Get(objects.KeyOf(o))
	if err != nil {
		writeErr(w, err)
		return
	}
	if !reveal(r) {
		stored = secrets.Mask(stored)
	}
	writeJSON(w, http.StatusOK, stored)
}

// maskedKey names a Secret value that is the placeholder secrets.Mask puts
// in answers: writing it back would replace the real value with it.
func maskedKey(o objects.Object) string {
	s, ok := o.(*corev1.Secret)
	if !ok {
		return ""
	}
	masked := func(v string) bool {
		return strings.HasPrefix(v, "(hidden: ") && strings.HasSuffix(v, " bytes; ask with --reveal)")
	}
	for k, v := range s.Data {
		if masked(string(v)) {
			return k
		}
	}
	for k, v := range s.StringData {
		if masked(v) {
			return k
		}
	}
	return ""
}
