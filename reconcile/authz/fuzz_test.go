package authz

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// FuzzParseRequest: any method and URL parse without panicking, and what
// the authorizer is given holds together: a known resource is a kind's
// canonical plural, verbs are the six of the routes (or an unknown
// method's name, which only admins pass), and a node's decision never
// errs with a graph that answers.
func FuzzParseRequest(f *testing.F) {
	for _, rt := range routeLines(f) {
		f.Add(rt[0], rt[1])
	}
	f.Add("GET", "/api/v1/secrets/a%2Fb?namespace=x&reveal=true")
	f.Add("GET", "/api/v1/pods/x%2Flog")
	f.Add("POST", "/api/v1//nodes/../nodes/a/heartbeat")
	f.Add("PATCH", "/api/v1/pods/x")
	f.Add("GET", "/api/v1/%zz")
	f.Fuzz(func(t *testing.T, method, target string) {
		u, err := url.Parse(target)
		if err != nil {
			return
		}
		a, err := ParseRequest(method, u)
		if err != nil {
			return
		}
		if a.Known && !a.NonResource() && a.Resource != "" && a.Subresource != SubDiff {
			if info, ok := objects.Resolve(a.Resource); ok && info.Plural != a.Resource {
				t.Fatalf("%s %s: resource %q is not canonical (%q)", method, target, a.Resource, info.Plural)
			}
		}
		switch method {
		case http.MethodGet, http.MethodHead:
			if a.Verb != VerbGet && a.Verb != VerbList && a.Verb != VerbWatch {
				t.Fatalf("%s %s: a read became %q", method, target, a.Verb)
			}
		}
		for _, id := range testIdentities {
			if _, err := Authorize(id, a, testGraph()); err != nil {
				t.Fatalf("%s %s as %s: %v", method, target, id.Name, err)
			}
		}
	})
}
