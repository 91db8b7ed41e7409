package apiserver

import (
	"net/http"
	"strconv"

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
