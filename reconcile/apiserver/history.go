package apiserver

import (
	"context"
	"errors"
	"net/http"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// Rollbacks is what the history, rollback and resume routes need of the
// git side; the server's Syncer implements it when it runs sources.
type Rollbacks interface {
	// History returns a source's applied commits, newest first ("" = the
	// only source), and the source's name.
	History(source string) (string, []reconcile.HistoryEntry, error)
	// Rollback applies an earlier commit and pins the source there.
	Rollback(ctx context.Context, source, commit string) (reconcile.SourceStatus, error)
	// Resume unpins a source.
	Resume(source string) error
}

// historyRoutes adds GET /api/v1/history, POST /api/v1/rollback and
// POST /api/v1/resume.
func (s *Server) historyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/history", s.history)
	mux.HandleFunc("POST /api/v1/rollback", s.rollback)
	mux.HandleFunc("POST /api/v1/resume", s.resume)
}

func (s *Server) rollbacks(w http.ResponseWriter) (Rollbacks, bool) {
	rb, ok := s.Syncer.(Rollbacks)
	if !ok {
		writeError(w, http.StatusNotFound, errors.New("this server runs no git sources: history, rollback and resume need `reconcile up` or `reconcile controller` with a repo"))
	}
	return rb, ok
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	rb, ok := s.rollbacks(w)
	if !ok {
		return
	}
	name, h, err := rb.History(r.URL.Query().Get("source"))
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if h == nil {
		h = []reconcile.HistoryEntry{}
	}
	writeJSON(w, http.StatusOK, reconcile.SourceHistory{Source: name, Entries: h})
}

// rollback serves POST /api/v1/rollback?source=S&commit=C; it answers once
// the commit is applied (or refused).
func (s *Server) rollback(w http.ResponseWriter, r *http.Request) {
	rb, ok := s.rollbacks(w)
	if !ok {
		return
	}
	commit := r.URL.Query().Get("commit")
	if commit == "" {
		writeError(w, http.StatusBadRequest, errors.New("no commit: give ?commit=<hash> (see `reconcile history`)"))
		return
	}
	st, err := rb.Rollback(r.Context(), r.URL.Query().Get("source"), commit)
	if err != nil {
		writeErrOr(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	rb, ok := s.rollbacks(w)
	if !ok {
		return
	}
	if err := rb.Resume(r.URL.Query().Get("source")); err != nil {
		writeErrOr(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusAccepted, apitypes.Ack{Status: "resumed: the source follows its ref again"})
}
