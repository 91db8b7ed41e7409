package apiserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestRequestRoute(t *testing.T) {
	for _, tc := range []struct{ method, url, verb, route string }{
		{"GET", "/api/v1/pods?namespace=shop", "list", "pods"},
		{"GET", "/api/v1/pods/web-1?namespace=shop", "get", "pods"},
		{"GET", "/api/v1/pods/web-1/log?namespace=shop&follow=true", "get", "pods/log"},
		{"PUT", "/api/v1/pods/web-1/status", "update", "pods/status"},
		{"POST", "/api/v1/nodes/a/heartbeat", "update", "nodes/heartbeat"},
		{"GET", "/api/v1/watch?resourceVersion=3", "watch", "*"},
		{"GET", "/api/v1/watch?kind=Deployment", "watch", "deployments"},
		{"POST", "/api/v1/sync?source=apps", "create", "sync"},
		{"POST", "/hooks/apps", "create", "/hooks/{source}"},
		{"DELETE", "/api/v1/users/bob", "delete", "users"},
		{"POST", "/api/v1/tokens", "create", "tokens"},
		{"GET", "/healthz", "get", "/healthz"},
		{"GET", "/wp-admin/setup.php", "get", "other"},   // a scanner: one label value whatever it tries
		{"GET", "/api/v1/nosuchkinds/x", "get", "other"}, // an unknown resource too
	} {
		r := httptest.NewRequest(tc.method, tc.url, nil)
		verb, route := RequestRoute(r)
		if verb != tc.verb || route != tc.route {
			t.Errorf("%s %s: %s %s, want %s %s", tc.method, tc.url, verb, route, tc.verb, tc.route)
		}
	}
}

type requestLog struct {
	mu  sync.Mutex
	got []string
}

func (l *requestLog) ObserveRequest(verb, route string, code int, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, fmt.Sprintf("%s %s %d", verb, route, code))
}

// Every answer is observed, the guard's refusals and a handler's panic
// (answered 500 inside) included.
func TestObserverSeesEveryAnswer(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	obs := &requestLog{}
	srv := &Server{Store: st, Token: "tok", Observer: obs, testRoutes: func(mux *http.ServeMux) {
		mux.HandleFunc("GET /api/v1/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	}}
	h := srv.Handler()
	do := func(method, url, token string) {
		r := httptest.NewRequest(method, url, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	do("GET", "/api/v1/pods", "tok")
	do("GET", "/api/v1/pods", "")
	do("GET", "/api/v1/pods/nope?namespace=default", "tok")
	do("GET", "/api/v1/boom", "tok")
	do("POST", "/api/v1/nodes/ghost/heartbeat", "tok") // named from the guard's parse of the URL
	want := []string{"list pods 200", "list pods 401", "get pods 404", "list other 500", "update nodes/heartbeat 404"}
	if !slices.Equal(obs.got, want) {
		t.Fatalf("observed %q, want %q", obs.got, want)
	}
}

// Whatever URL a client sends, the route label is one of a few values:
// never an object's name, a namespace or a path a scanner made up.
func FuzzRequestRoute(f *testing.F) {
	for _, seed := range []string{"/api/v1/pods/web-1", "/api/v1/watch?kind=Pod", "/hooks/x", "/api/v1/users/bob", "/../etc/passwd",
		"/api/v1/pods/a/b/c/d", "/api/v1/%2e%2e/pods", "/metrics", "/api/v1/nodes/x/heartbeat"} {
		f.Add("GET", seed)
	}
	allowed := map[string]bool{"other": true, "*": true, "/healthz": true, "/metrics": true, "/api/v1/join": true, "/hooks/{source}": true}
	for _, k := range objects.Kinds() {
		allowed[k.Plural] = true
	}
	for _, r := range append(serverResources, authz.ResourceSources, authz.ResourceRecipient, authz.ResourceCluster, authz.ResourceSync,
		authz.ResourceHistory, authz.ResourceRollback, authz.ResourceResume) {
		allowed[r] = true
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		u, err := url.Parse(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		r := &http.Request{Method: method, URL: u}
		_, route := RequestRoute(r)
		resource, _, _ := strings.Cut(route, "/")
		if strings.HasPrefix(route, "/") {
			resource = route
		}
		if !allowed[resource] || strings.Count(route, "/") > 2 {
			t.Fatalf("%s %s: route %q is not one of the few route values", method, target, route)
		}
	})
}
