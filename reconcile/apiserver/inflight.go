package apiserver

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/kubeapi"
)

// DefaultMaxRequestsInflight bounds the requests the API serves at once,
// watches and other streams aside: kube-apiserver's
// --max-requests-inflight default.
const DefaultMaxRequestsInflight = 400

// retryAfterSeconds is what a shed request is told to wait (the client
// adds jitter: apiclient).
const retryAfterSeconds = 1

// limitInflight is kube-apiserver's max-in-flight filter: at most n
// requests that are not long-running are served at once; one more is
// answered at once 429 TooManyRequests with Retry-After, instead of
// queueing without bound behind the store's single writer while the
// client times out and closes (the sockets left in CLOSE-WAIT and the
// file descriptors that ran out with 1,000 simulated nodes). n < 0: no
// bound.
func limitInflight(n int, h http.Handler) http.Handler {
	if n == 0 {
		n = DefaultMaxRequestsInflight
	}
	if n < 0 {
		return h
	}
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if longRunning(r) {
			h.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
			writeError(w, http.StatusTooManyRequests, apierrors.New(apierrors.ReasonTooManyRequests,
				"the controller is serving %d requests already (its --max-requests-inflight): retry after %d s", n, retryAfterSeconds))
		}
	})
}

// longRunning says whether r is a stream the in-flight bound leaves
// alone, as kube-apiserver's long-running check: watches (the product's
// /api/v1/watch and ?watch=1 on a list), followed logs, the web UI's
// change stream, and /healthz, which must answer under load. It is pure.
func longRunning(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case p == "/healthz", p == "/api/v1/ui/changes":
		return true
	case p == "/api/v1/watch" || strings.HasPrefix(p, "/api/v1/watch/") || strings.Contains(p, "/watch/"):
		return true
	case r.URL.RawQuery != "" && kubeapi.IsWatch(r.URL.Query()): // no query to parse for most requests
		return true
	case strings.HasSuffix(p, "/log") && r.URL.Query().Get("follow") == "true":
		return true
	}
	return false
}
