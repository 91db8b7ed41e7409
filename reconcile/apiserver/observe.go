package apiserver

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/authz"
)

// RequestObserver receives one call per API request when it is answered
// (reconcile/metrics counts them by verb, route and code). Server.Observer
// nil costs nothing.
type RequestObserver interface {
	// ObserveRequest: verb is Kubernetes' (get, list, watch, create,
	// update, delete), route the resource[/subresource] or the path of a
	// non-resource route ("other" for unknown paths, so a scan cannot
	// grow the label set), code the status answered, d the time to the
	// end of the answer (for a watch or a followed log: the stream's life).
	ObserveRequest(verb, route string, code int, d time.Duration)
}

// observed wraps h so every request is reported to o when it ends,
// panics (answered 500 by Recover inside) and refusals of the guard
// included.
func observed(o RequestObserver, h http.Handler) http.Handler {
	if o == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			verb, route := rec.route(r)
			o.ObserveRequest(verb, route, rec.code(), time.Since(start))
		}()
		h.ServeHTTP(rec, r)
	})
}

// RequestRoute names a request for metrics by its authorization
// attributes: few values whatever the URL (no object names, no namespaces).
func RequestRoute(r *http.Request) (verb, route string) {
	a, err := authz.ParseRequest(r.Method, r.URL)
	return routeOf(r, a, err)
}

// routeOf is RequestRoute over attributes parsed already.
func routeOf(r *http.Request, a authz.Attributes, err error) (verb, route string) {
	if err != nil {
		return strings.ToLower(r.Method), "other"
	}
	verb = string(a.Verb)
	switch {
	case a.NonResource():
		route = nonResourceRoute(a.Path)
	case !a.Known && a.Resource != "" && !slices.Contains(serverResources, a.Resource):
		route = "other"
	case a.Resource == "":
		route = "*" // a watch of every kind
	default:
		route = a.Resource
	}
	if a.Subresource != "" && route != "other" {
		route += "/" + a.Subresource
	}
	return verb, route
}

// serverResources are the routes under /api/v1 that are no object kind
// (the others the authz parser knows itself).
var serverResources = []string{authz.ResourceTokens, authz.ResourceUsers}

// nonResourceRoute keeps the served non-resource paths and folds the rest.
func nonResourceRoute(p string) string {
	switch {
	case p == "/healthz" || p == "/metrics" || p == "/api/v1/join":
		return p
	case strings.HasPrefix(p, "/hooks/"):
		return "/hooks/{source}"
	}
	return "other"
}

// statusRecorder remembers the status code written; Unwrap lets
// http.ResponseController reach the connection (watch streams lift their
// deadlines and flush through it).
type statusRecorder struct {
	http.ResponseWriter
	status int
	// attrs are the request's authorization attributes when the guard
	// parsed them (noteAttributes): parsed once per request, not again
	// for the metrics (BENCHMARKS.md, issue 13: heartbeats, round 3).
	attrs authz.Attributes
}

// attributesNoter is a ResponseWriter that keeps the guard's parse of
// the request (statusRecorder).
type attributesNoter interface{ noteAttributes(authz.Attributes) }

func (s *statusRecorder) noteAttributes(a authz.Attributes) { s.attrs = a }

// route is RequestRoute, from the guard's parse when it noted one.
func (s *statusRecorder) route(r *http.Request) (verb, route string) {
	if s.attrs.Verb != "" {
		return routeOf(r, s.attrs, nil)
	}
	return RequestRoute(r)
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) code() int {
	if s.status == 0 {
		return http.StatusOK // nothing written: net/http answers 200
	}
	return s.status
}
