package apiserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/nodeipam"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Syncer is what the server needs of the git side: trigger a fetch and
// report source status.
type Syncer interface {
	// Trigger asks the named source (or every source when name is "") to fetch now.
	Trigger(name string) error
	// Statuses returns the status of every source.
	Statuses() ([]any, error)
}

// Server is the HTTP API over one store.
type Server struct {
	Store  *store.Store
	Syncer Syncer
	// Token, when set, is required as a bearer token on every request.
	Token string
	Log   *slog.Logger
	// Now is the clock (injected in tests).
	Now func() time.Time
	// NodeIPAM is the pod network nodes get their subnets from (zero: 10.244.0.0/16, a /24 each).
	NodeIPAM nodeipam.Config
	// Recipient is the controller's age recipient (GET /api/v1/recipient), to
	// encrypt Secrets for it; "" = not served.
	Recipient string
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("POST /hooks/{source}", s.hook) // authenticated by signature, not token (see auth)
	mux.HandleFunc("GET /api/v1/watch", s.watch)
	mux.HandleFunc("GET /api/v1/sources", s.sources)
	mux.HandleFunc("GET /api/v1/recipient", s.recipient)
	mux.HandleFunc("POST /api/v1/sync", s.sync)
	s.historyRoutes(mux) // history, rollback, resume (history.go)
	s.diffRoutes(mux)    // POST /api/v1/diff/secrets (diff_secrets.go)
	mux.HandleFunc("POST /api/v1/nodes", s.registerNode)
	mux.HandleFunc("POST /api/v1/nodes/{name}/heartbeat", s.heartbeat)
	mux.HandleFunc("PUT /api/v1/pods/{name}/status", s.podStatus)
	mux.HandleFunc("DELETE /api/v1/pods/{name}", s.finalizePod)
	mux.HandleFunc("GET /api/v1/pods/{name}/log", s.podLog)
	mux.HandleFunc("POST /api/v1/events", s.recordEvent)
	mux.HandleFunc("GET /api/v1/{plural}", s.list)
	mux.HandleFunc("GET /api/v1/{plural}/{name}", s.get)
	mux.HandleFunc("PUT /api/v1/{plural}/{name}", s.replace) // replace.go
	return s.auth(mux)
}

func (s *Server) auth(next http.Handler) http.Handler {
	if s.Token == "" {
		return next
	}
	want := []byte("Bearer " + s.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(path.Clean(r.URL.Path), "/hooks/") { // git hosts sign hooks; they have no token
			next.ServeHTTP(w, r)
			return
		}
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			writeError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token: pass --token-file (or RECONCILE_TOKEN) with the token from the controller's data directory"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ListenAndServe serves until ctx ends. A listen address beyond loopback
// without a token is refused.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	if s.Token == "" && !IsLoopback(addr) {
		return fmt.Errorf("listening on %s needs authentication: no token configured", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api server: listen on %s: %w (is another reconcile running? use --listen to pick another address)", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// IsLoopback reports whether a listen address only accepts local traffic.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	if s.Syncer == nil {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	st, err := s.Syncer.Statuses()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) sync(w http.ResponseWriter, r *http.Request) {
	if s.Syncer == nil {
		writeError(w, http.StatusNotFound, errors.New("this server runs no git sources"))
		return
	}
	if err := s.Syncer.Trigger(r.URL.Query().Get("source")); err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sync requested"})
}

func kindFor(w http.ResponseWriter, plural string) (objects.KindInfo, bool) {
	k, ok := objects.Resolve(plural)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("unknown resource %q (known: %s)", plural, strings.Join(objects.KindNames(false), ", ")))
	}
	return k, ok
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	k, ok := kindFor(w, r.PathValue("plural"))
	if !ok {
		return
	}
	items, rv, err := s.Store.List(k.Kind, r.URL.Query().Get("namespace"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if node := r.URL.Query().Get("node"); node != "" {
		items = onNode(items, node)
	}
	if items == nil {
		items = []objects.Object{}
	}
	if !reveal(r) {
		for i, o := range items {
			items[i] = secrets.Mask(o)
		}
	}
	writeJSON(w, http.StatusOK, List{APIVersion: "v1", Kind: "List", Metadata: ListMeta{ResourceVersion: strconv.FormatUint(rv, 10)}, Items: items})
}

// List is a Kubernetes-style list, as `reconcile get -o json` prints it.
type List struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   ListMeta         `json:"metadata"`
	Items      []objects.Object `json:"items"`
}

// ListMeta carries the store's resourceVersion at the time of the list.
type ListMeta struct {
	ResourceVersion string `json:"resourceVersion"`
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	k, ok := kindFor(w, r.PathValue("plural"))
	if !ok {
		return
	}
	key := objects.Key{Kind: k.Kind, Name: r.PathValue("name")}
	if k.Namespaced {
		key.Namespace = r.URL.Query().Get("namespace")
		if key.Namespace == "" {
			key.Namespace = "default"
		}
	}
	o, err := s.Store.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("%s not found", key))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if !reveal(r) {
		o = secrets.Mask(o)
	}
	writeJSON(w, http.StatusOK, o)
}

// recipient answers the controller's public age key (not a secret: it
// can only encrypt).
func (s *Server) recipient(w http.ResponseWriter, r *http.Request) {
	if s.Recipient == "" {
		writeError(w, http.StatusNotFound, errors.New("this controller serves no secrets recipient"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"recipient": s.Recipient})
}

// reveal: the client asked for Secret values (?reveal=true: the agent, and
// `reconcile get secret X --reveal`); every other answer masks them.
func reveal(r *http.Request) bool { return r.URL.Query().Get("reveal") == "true" }

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, apiError{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
