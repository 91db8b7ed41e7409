package apiserver

import (
	"errors"
	"net/http"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// finalizePod removes a pod for good once its agent has stopped its
// containers: the last step of graceful deletion (Kubernetes' kubelet
// deletes with grace period 0 at this point). The uid must match, so a
// late call cannot remove a new pod of the same name.
func (s *Server) finalizePod(w http.ResponseWriter, r *http.Request) {
	s.updatePod(w, r, r.URL.Query().Get("uid"), "deleted", func(tx *store.Tx, p *corev1.Pod) error {
		return tx.Delete(objects.Key{Kind: "Pod", Namespace: p.Namespace, Name: p.Name})
	})
}

// recordEvent stores an event an agent reports (a probe failure, a
// restart, an image pull error). Events are kept with a bounded history
// by the controllers.
func (s *Server) recordEvent(w http.ResponseWriter, r *http.Request) {
	var ev corev1.Event
	if !decodeBody(w, r, &ev) {
		return
	}
	if ev.Name == "" || ev.Namespace == "" {
		writeError(w, http.StatusBadRequest, errors.New("event needs metadata.name and metadata.namespace"))
		return
	}
	objects.SetTypeMeta(&ev, "Event")
	old, err := s.Store.Get(objects.KeyOf(&ev))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		writeErr(w, err)
		return
	}
	if !s.admit(w, r, &ev, old) { // a node posts events about itself and its pods only
		return
	}
	err = s.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.Get(objects.KeyOf(&ev))
		if errors.Is(err, store.ErrNotFound) {
			return tx.Create(&ev)
		}
		if err != nil {
			return err
		}
		// The same event again: count it rather than store it twice.
		old := cur.(*corev1.Event)
		old.Count, old.LastTimestamp, old.Message = ev.Count, ev.LastTimestamp, ev.Message
		return tx.Update(old)
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, apitypes.Ack{Status: "recorded"})
}
