package apiserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/webui"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Commits is what the UI's object page and history diff need of the git
// side; the server's Syncer implements it when it runs sources
// (sources.Manager).
type Commits interface {
	// File returns a file of a source at a commit.
	File(ctx context.Context, source, commit, path string) ([]byte, error)
	// Diff returns the plan from commit from to commit to of a source.
	Diff(ctx context.Context, source, from, to string) (reconcile.Plan, error)
}

// uiRoutes adds the web UI: its page and assets at / and /ui/ (no
// identity needed: authz.Exempt), and its views under /api/v1/ui/ (read
// routes, authorized like the lists they aggregate).
func (s *Server) uiRoutes(mux *http.ServeMux) {
	assets := webui.Handler()
	mux.Handle("GET /{$}", assets)
	mux.Handle("GET /index.html", assets)
	mux.Handle("GET /ui/", assets)
	mux.HandleFunc("GET /api/v1/ui/whoami", s.uiWhoami)
	mux.HandleFunc("GET /api/v1/ui/overview", s.uiOverview)
	mux.HandleFunc("GET /api/v1/ui/tree", s.uiTree)
	mux.HandleFunc("GET /api/v1/ui/object", s.uiObject)
	mux.HandleFunc("GET /api/v1/ui/diff", s.uiDiff)
	mux.HandleFunc("GET /api/v1/ui/changes", s.uiChanges) // ui_changes.go
}

// Whoami is who the UI acts as and which buttons it may show: the
// authorizer's own answers, so the UI never guesses a role's rights.
type Whoami struct {
	Name string     `json:"name"`
	Role authz.Role `json:"role"`
	// May says which actions the authorizer allows this identity.
	May map[string]bool `json:"may"`
}

func (s *Server) uiWhoami(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	out := Whoami{Name: id.Name, Role: id.Role, May: map[string]bool{}}
	for _, res := range []string{authz.ResourceSync, authz.ResourceRollback, authz.ResourceResume} {
		d, err := authz.Authorize(id, authz.Attributes{Verb: authz.VerbCreate, Resource: res, Known: true}, s.graph())
		if err != nil {
			writeErr(w, err)
			return
		}
		out.May[res] = d.Allowed
	}
	writeJSON(w, http.StatusOK, out)
}

// listAll lists every kind through the store's shared decode cache (no
// copies: the view models only read), events left out.
func (s *Server) listAll(namespace string) ([]objects.Object, error) {
	var all []objects.Object
	for _, k := range objects.Kinds() {
		if k.Kind == "Event" || (namespace != "" && !k.Namespaced) {
			continue
		}
		items, _, err := s.Store.ListShared(k.Kind, namespace)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", k.Plural, err)
		}
		all = append(all, items...)
	}
	return all, nil
}

func (s *Server) uiOverview(w http.ResponseWriter, r *http.Request) {
	var sources []apitypes.SourceStatus
	if s.Syncer != nil {
		var err error
		if sources, err = s.Syncer.Statuses(); err != nil {
			writeErr(w, err)
			return
		}
	}
	all, err := s.listAll("")
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, webui.BuildOverview(sources, all))
}

func (s *Server) uiTree(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	source, ns := q.Get("source"), q.Get("namespace")
	if source == "" || ns == "" {
		writeError(w, http.StatusBadRequest, errors.New("the tree needs ?source=NAME&namespace=NS (the overview lists both)"))
		return
	}
	all, err := s.listAll(ns)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": source, "namespace": ns, "roots": webui.BuildTree(all, source, ns)})
}

func (s *Server) uiObject(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	k, ok := kindFor(w, q.Get("kind"))
	if !ok {
		return
	}
	ns := q.Get("namespace")
	if k.Namespaced && ns == "" {
		ns = "default"
	}
	if !k.Namespaced {
		ns = ""
	}
	o, err := s.Store.Get(objects.Key{Kind: k.Kind, Namespace: ns, Name: q.Get("name")})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("%s %s not found in namespace %q", k.Kind, q.Get("name"), ns))
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	all, err := s.listAll(ns)
	if err != nil {
		writeErr(w, err)
		return
	}
	var events []objects.Object
	if k.Namespaced {
		if events, _, err = s.Store.ListShared("Event", ns); err != nil {
			writeErr(w, err)
			return
		}
	}
	v := webui.BuildObject(secrets.Mask(o), all, events) // the UI never reveals Secret values
	if m := v.Manifest; m != nil && m.Error == "" {
		if c, ok := s.Syncer.(Commits); !ok {
			m.Error = "this server runs no git sources"
		} else if m.Commit == "" {
			m.Error = "no commit recorded on the object"
		} else if b, err := c.File(r.Context(), m.Source, m.Commit, m.Path); err != nil {
			m.Error = err.Error()
		} else if webui.DeclaresSecret(b) {
			m.Error = "this file also declares a Secret, so it is not shown: Secret values never appear in the UI"
		} else {
			m.Text = string(b)
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// uiDiff answers the plan between two commits of a source as the markdown
// of `reconcile diff -o markdown` (reconcile.RenderMarkdown); the page
// renders it as text nodes, never as HTML.
func (s *Server) uiDiff(w http.ResponseWriter, r *http.Request) {
	c, ok := s.Syncer.(Commits)
	if !ok {
		writeError(w, http.StatusNotFound, errors.New("this server runs no git sources: no commits to diff"))
		return
	}
	q := r.URL.Query()
	if q.Get("from") == "" || q.Get("to") == "" {
		writeError(w, http.StatusBadRequest, errors.New("the diff needs ?from=COMMIT&to=COMMIT (commits from GET /api/v1/history)"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	plan, err := c.Diff(ctx, q.Get("source"), q.Get("from"), q.Get("to"))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err)
		return
	}
	var b bytes.Buffer
	if err := reconcile.RenderMarkdown(&b, plan); err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}
