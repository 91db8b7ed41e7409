package apiserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// watch streams store events after resourceVersion as JSON lines. A
// resourceVersion older than the store's history answers 410 Gone: the
// client lists again and watches from the list's resourceVersion.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rv, err := strconv.ParseUint(q.Get("resourceVersion"), 10, 64)
	if err != nil && q.Get("resourceVersion") != "" {
		writeError(w, http.StatusBadRequest, errors.New("resourceVersion must be a number: take it from a list's metadata.resourceVersion"))
		return
	}
	kind := ""
	if q.Get("kind") != "" {
		k, ok := kindFor(w, q.Get("kind"))
		if !ok {
			return
		}
		kind = k.Kind
	}
	node := q.Get("node")
	show := reveal(r)
	id := identity(r)
	events, err := s.Store.Watch(r.Context(), rv)
	if errors.Is(err, store.ErrGone) {
		writeError(w, http.StatusGone, err)
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	httpserver.Stream(w) // a watch outlives the server's read and write timeouts
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	for ev := range events {
		if kind != "" && objects.KindOf(ev.Object) != kind {
			continue
		}
		if node != "" && !boundTo(ev.Object, node) {
			continue
		}
		// A node's watch carries only what it may read: its pods, Nodes,
		// Services, Endpoints, the ConfigMaps and Secrets its pods reference
		// at the time of the event (a fresh filter per event).
		if ok, err := authz.Visibility(id, s.graph())(ev.Object); err != nil || !ok {
			if err != nil {
				s.logError("watch: filtering an event for "+id.Name, err)
			}
			continue
		}
		if !show {
			ev.Object = secrets.Mask(ev.Object) // a copy: ev.Object is shared by every watcher
		}
		httpserver.Extend(w)
		if err := enc.Encode(apitypes.WatchEvent{Type: string(ev.Type), Object: ev.Object, ResourceVersion: ev.ResourceVersion}); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func boundTo(o objects.Object, node string) bool {
	p, ok := o.(*corev1.Pod)
	return ok && p.Spec.NodeName == node
}

func onNode(items []objects.Object, node string) []objects.Object {
	var out []objects.Object
	for _, o := range items {
		if boundTo(o, node) {
			out = append(out, o)
		}
	}
	return out
}
