package apiserver

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
)

// snapshot streams the whole store (store.Snapshot's format: every object
// and side record at one resourceVersion, with a SHA-256 at the end) for
// `reconcile snapshot save`; admins only (authz: it holds Secrets'
// values). A failure half-way aborts the connection, so the client never
// mistakes a cut stream for a whole snapshot (the hash would too).
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	httpserver.Stream(w) // a large store outlives the write timeout
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Trailer", apitypes.TrailerResourceVersion)
	rv, err := s.Store.Snapshot(extendingWriter{w})
	if err != nil {
		s.logError("snapshot", err)
		panic(http.ErrAbortHandler)
	}
	w.Header().Set(apitypes.TrailerResourceVersion, strconv.FormatUint(rv, 10))
}

// extendingWriter moves the write deadline on before every write of a
// long response.
type extendingWriter struct{ w http.ResponseWriter }

func (e extendingWriter) Write(p []byte) (int, error) {
	httpserver.Extend(e.w)
	return e.w.Write(p)
}

// restoreSnapshot makes the body (a snapshot GET /api/v1/snapshot wrote)
// the store of a running control plane on etcd, for `reconcile snapshot
// restore FILE --server-side`: every server's view reloads it, watches
// from before answer 410 Gone (the resourceVersion is bumped past them,
// store.RestoreRVBump) and clients list again. Admins only (authz). A
// Badger store cannot be replaced under a running controller: 409 with
// what to do instead.
func (s *Server) restoreSnapshot(w http.ResponseWriter, r *http.Request) {
	httpserver.Stream(w) // a large snapshot outlives the read timeout
	rv, err := s.Store.RestoreRunning(r.Context(), r.Body)
	if errors.Is(err, store.ErrRestoreNeedsStop) {
		writeErr(w, apierrors.New(apierrors.ReasonConflict, "%w", err))
		return
	}
	if err != nil {
		s.logError("snapshot restore", err)
		writeErr(w, err)
		return
	}
	s.log().Warn("store restored from a snapshot: every view reloaded, watchers list again", "resourceVersion", rv)
	writeJSON(w, http.StatusOK, apitypes.SnapshotRestored{ResourceVersion: rv})
}
