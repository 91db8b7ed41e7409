package apiserver

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/reconcile/kubeapi"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/nodeipam"
	"github.com/reconcile-dev/reconcile/reconcile/nodelease"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/usercreds"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Syncer is what the server needs of the git side: trigger a fetch and
// report source status.
type Syncer interface {
	// Trigger asks the named source (or every source when name is "") to fetch now.
	Trigger(name string) error
	// Statuses returns the status of every source.
	Statuses() ([]apitypes.SourceStatus, error)
}

// Server is the HTTP API over one store.
type Server struct {
	Store  *store.Store
	Syncer Syncer
	// Token is the admin bearer token: a request carrying it is an admin.
	// Every request but GET /healthz and the signed POST /hooks/{source}
	// needs an identity, this token or a verified client certificate
	// (reconcile/authz), on every address (ListenAndServe refuses to
	// listen without a token). Empty with no client certificate = admin:
	// for a handler served in-process by tests only.
	Token string
	// Revoked, when set, is asked on every request authenticated by a
	// client certificate whether its serial is revoked (a deleted node or
	// person: nodecreds.Issuer.Revoked);
	// a revoked one is answered 401.
	Revoked func(serial *big.Int) bool
	Log     *slog.Logger
	// Now is the clock (injected in tests).
	Now func() time.Time
	// NodeIPAM is the pod network nodes get their subnets from (zero: 10.244.0.0/16, a /24 each).
	NodeIPAM nodeipam.Config
	// PodNetworkBackend is the cluster's pod network backend served to the
	// agents in GET /api/v1/cluster (host-gw, vxlan, auto; "": the agents'
	// default, host-gw).
	PodNetworkBackend string
	// Recipient is the controller's age recipient (GET /api/v1/recipient), to
	// encrypt Secrets for it; "" = not served.
	Recipient string
	// Timeouts of the HTTP server (zero fields: httpserver.Defaults).
	Timeouts httpserver.Timeouts
	// TLS serves HTTPS on every address (pki.CA.APIServerTLS: the rotating
	// serving pair, client certificates verified when given). nil = plain
	// HTTP, refused by ListenAndServe beyond loopback (in-process tests and
	// the plain-vs-TLS benchmark only).
	TLS *tls.Config
	// AgentTLS is the TLS towards node's agent (its log server:
	// pki.CA.AgentClientTLS); nil = plain HTTP (in-process tests).
	AgentTLS func(node string) *tls.Config
	// Credentials serves join tokens, joins, renewals and node deletion
	// (join.go); nil = not served.
	Credentials *nodecreds.Issuer
	// ControlPlane serves the servers of an etcd control plane: their
	// members, the leader, joins and removals (servers.go); nil = the
	// single-server Badger store.
	ControlPlane ControlPlane
	// Users serves people's credentials (users.go) and authenticates
	// their bearer tokens (guard.go); nil = neither.
	Users *usercreds.Users
	// Usage holds the pods' usage agents report (usage.go) and serves the
	// metrics.k8s.io/v1beta1 API over it; nil = neither.
	Usage *podmetrics.Store

	// MaxRequestsInflight bounds the requests served at once, streams
	// aside (0: DefaultMaxRequestsInflight, 400; negative: no bound); one
	// more is answered 429 with Retry-After (inflight.go).
	MaxRequestsInflight int

	// Leases is the node lease table heartbeats renew (reconcile/nodelease):
	// in memory, flushed to the store every LeaseFlushInterval by Serve
	// (nil: the server makes its own at first use).
	Leases *nodelease.Table
	// LeaseFlushInterval is how often Serve writes the renewed leases
	// (0: nodelease.DefaultFlushInterval, 1 s).
	LeaseFlushInterval time.Duration
	leaseOnce          sync.Once
	flushOnce          sync.Once

	// BuildVersion is the product's version, in the Kubernetes API's
	// /version ("" = devel).
	BuildVersion string

	// streams are the cancel functions of the requests in flight of each
	// node and person, so a revoked node's or deleted person's watches end
	// at once (revoke.go).
	streams streamSet

	// Observer, when set, is told of every request when it is answered
	// (observe.go; reconcile/metrics); nil costs nothing.
	Observer RequestObserver

	// fan serves GET /api/v1/watch (fanout.go), made by the first watch.
	fan     *fanout
	fanOnce sync.Once
	// status commits pod status writes in groups (status_batch.go).
	status     *statusBatcher
	statusOnce sync.Once

	// testRoutes adds routes in tests (a panicking handler).
	testRoutes func(*http.ServeMux)
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("POST /hooks/{source}", s.hook) // authenticated by signature, not identity (authz.Exempt)
	mux.HandleFunc("GET /api/v1/watch", s.watch)
	mux.HandleFunc("GET /api/v1/sources", s.sources)
	mux.HandleFunc("GET /api/v1/snapshot", s.snapshot)         // snapshot.go: the whole store, admins only
	mux.HandleFunc("POST /api/v1/snapshot", s.restoreSnapshot) // snapshot.go: restore a store on etcd, admins only
	mux.HandleFunc("GET /api/v1/recipient", s.recipient)
	mux.HandleFunc("POST /api/v1/sync", s.sync)
	s.historyRoutes(mux) // history, rollback, resume (history.go)
	s.diffRoutes(mux)    // POST /api/v1/diff/secrets (diff_secrets.go)
	mux.HandleFunc("POST /api/v1/nodes", s.registerNode)
	mux.HandleFunc("POST /api/v1/nodes/{name}/heartbeat", s.heartbeat)
	mux.HandleFunc("PATCH /api/v1/nodes/{name}", s.patchNode)       // cordon, uncordon (nodes.go)
	mux.HandleFunc("POST /api/v1/pods/{name}/eviction", s.evictPod) // drain (eviction.go)
	mux.HandleFunc("PUT /api/v1/pods/{name}/status", s.podStatus)
	mux.HandleFunc("DELETE /api/v1/pods/{name}", s.finalizePod)
	mux.HandleFunc("GET /api/v1/pods/{name}/log", s.podLog)
	mux.HandleFunc("POST /api/v1/events", s.recordEvent)
	s.clusterRoutes(mux) // cluster ID, pod adoption (cluster.go)
	s.joinRoutes(mux)    // tokens, join, renewal, node deletion (join.go)
	s.serverRoutes(mux)  // the control plane's servers: status, join, removal (servers.go)
	s.userRoutes(mux)    // people's credentials (users.go)
	s.usageRoutes(mux)   // pod usage reports, metrics.k8s.io (usage.go)
	s.kubeRoutes(mux)    // the read-only Kubernetes API (kubeapi.go)
	s.uiRoutes(mux)      // the web UI and its views (ui.go)
	mux.HandleFunc("GET /api/v1/{plural}", s.list)
	mux.HandleFunc("GET /api/v1/{plural}/{name}", s.get)
	mux.HandleFunc("PUT /api/v1/{plural}/{name}", s.replace) // replace.go
	if s.testRoutes != nil {
		s.testRoutes(mux)
	}
	// inflight.go: at most MaxRequestsInflight at once; guard.go:
	// authenticate, authorize; revoke.go: a revoked node's open requests
	// end when it is deleted.
	return observed(s.Observer, httpserver.Recover(s.Log, panicked, limitInflight(s.MaxRequestsInflight, s.guard(s.revocable(mux)))))
}

// Guard is the API's authentication and authorization (guard.go) around
// another handler: the controller's metrics endpoint beyond loopback
// (reconcile/metrics) authenticates and authorizes exactly as the API.
func (s *Server) Guard(h http.Handler) http.Handler { return s.guard(h) }

// panicked answers a request whose handler panicked: a 500 Status that
// names the route only (the log has the stack).
func panicked(w http.ResponseWriter, r *http.Request, _ any) {
	writeErr(w, apierrors.New(apierrors.ReasonInternalError, "internal error serving %s %s: the handler failed; the controller log has the details", r.Method, r.URL.Path))
}

// ListenAndServe serves until ctx ends. Listening without a token is
// refused on every address: loopback is reachable by every local user;
// without TLS it is refused beyond loopback.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := s.Listen(addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Listen opens addr for Serve, with ListenAndServe's checks. A caller that
// listens before it starts serving lets clients in the same process (the
// agent of `reconcile up`) connect at once: the kernel queues them.
func (s *Server) Listen(addr string) (net.Listener, error) {
	if s.Token == "" {
		return nil, fmt.Errorf("listening on %s needs authentication: no token configured", addr)
	}
	if s.TLS == nil && !IsLoopback(addr) {
		return nil, fmt.Errorf("listening on %s without TLS: refused beyond loopback (the controller serves HTTPS with the cluster CA)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("api server: listen on %s: %w (is another reconcile running? use --listen to pick another address)", addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, with the server timeouts of
// s.Timeouts (watch and log streams extend theirs per write), over TLS
// when s.TLS is set. A plain HTTP request to the TLS port gets Go's 400
// "Client sent an HTTP request to an HTTPS server" (apiclient turns it
// into "use https://").
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.TLS != nil {
		ln = httpserver.TLSListener(ln, s.TLS, httpserver.HandshakeLimits{}) // handshakes bounded, not a storm (httpserver/handshake.go)
	}
	s.flushOnce.Do(func() { go s.leases().Run(ctx, s.Store, s.LeaseFlushInterval, s.Log) })
	return httpserver.Serve(ctx, httpserver.New(s.Handler(), s.Timeouts), ln, 2*time.Second)
}

// IsLoopback reports whether a listen address only accepts local traffic
// (httpserver.IsLoopback).
func IsLoopback(addr string) bool { return httpserver.IsLoopback(addr) }

// leases is the server's lease table (Server.Leases, made at first use).
func (s *Server) leases() *nodelease.Table {
	s.leaseOnce.Do(func() {
		if s.Leases == nil {
			s.Leases = nodelease.NewTable()
		}
	})
	return s.Leases
}

// FlushLeases writes the renewals taken since the last flush now (Serve
// does it every LeaseFlushInterval): for tests and callers that serve
// Handler themselves.
func (s *Server) FlushLeases() error {
	_, err := s.leases().Flush(s.Store)
	return err
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	if s.Syncer == nil {
		writeJSON(w, http.StatusOK, []apitypes.SourceStatus{})
		return
	}
	st, err := s.Syncer.Statuses()
	if err != nil {
		writeErr(w, err)
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
		writeErrOr(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusAccepted, apitypes.Ack{Status: "sync requested"})
}

func kindFor(w http.ResponseWriter, plural string) (objects.KindInfo, bool) {
	k, ok := objects.Resolve(plural)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("unknown resource %q (known: %s)", plural, strings.Join(objects.KindNames(false), ", ")))
	}
	return k, ok
}

// list is GET /api/v1/{plural}: every kind's list is the Kubernetes one
// (selectors, limit/continue, Table, ?watch=1; kubeapi.go) with the
// product's ?namespace=, ?node= and ?reveal=: /api/v1/pods is both APIs'
// path, and the product's client reads the Kubernetes list (its items
// carry their kind).
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	k, ok := kindFor(w, r.PathValue("plural"))
	if !ok {
		return
	}
	res, _ := kubeapi.ForKind(k.Kind)
	s.kubeList(w, r, kubeapi.Path{Kind: kubeapi.ResourcePath, Legacy: true, Version: "v1", Resource: res.Plural, Known: true}, res)
}

// List is the wire list (apitypes.List), kept under this name for callers.
type List = apitypes.List

// ListMeta is the list's metadata (apitypes.ListMeta).
type ListMeta = apitypes.ListMeta

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	if res, ok := isKubeCore(r.PathValue("plural")); ok && !res.Namespaced {
		// A cluster-scoped core object: the Kubernetes path itself (Table, watch).
		s.kubeGet(w, r, kubeapi.Path{Kind: kubeapi.ResourcePath, Legacy: true, Version: "v1", Resource: res.Plural, Name: r.PathValue("name"), Known: true})
		return
	}
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
		writeErr(w, err)
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
	writeJSON(w, http.StatusOK, apitypes.Recipient{Recipient: s.Recipient})
}

// reveal: the client asked for Secret values (?reveal=true: the agent, and
// `reconcile get secret X --reveal`); every other answer masks them.
func reveal(r *http.Request) bool { return r.URL.Query().Get("reveal") == "true" }

// writeError answers err as an apierrors.Status with the given HTTP code;
// the reason is err's own when it maps to that code (a store.ErrConflict
// answered 409 stays a Conflict), else the code's.
func writeError(w http.ResponseWriter, code int, err error) {
	st := apierrors.FromError(err)
	if st.Code != code {
		st.Reason, st.Code = apierrors.ReasonForCode(code), code
	}
	writeJSON(w, code, st)
}

// writeErrOr answers err with the code of its own reason when it has one
// (a ServiceUnavailable from a server that does not lead the control
// plane, a Conflict from the store), else with code: what a route whose
// callee returns unclassified errors uses, so a 503 stays a 503.
func writeErrOr(w http.ResponseWriter, code int, err error) {
	if apierrors.ReasonOf(err) != apierrors.ReasonInternalError {
		writeErr(w, err)
		return
	}
	writeError(w, code, err)
}

// writeErr answers err with the code of its reason (apierrors.ReasonOf):
// a wrapped store.ErrNotFound is a 404, anything unclassified a 500.
func writeErr(w http.ResponseWriter, err error) {
	st := apierrors.FromError(err)
	writeJSON(w, st.Code, st)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
