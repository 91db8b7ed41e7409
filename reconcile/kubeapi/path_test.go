package kubeapi

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	cases := []struct{ path, want string }{
		{"/api", "discovery legacy g= v="},
		{"/api/v1", "discovery legacy g= v=v1"},
		{"/apis", "discovery g= v="},
		{"/apis/apps", "discovery g=apps v="},
		{"/apis/apps/v1", "discovery g=apps v=v1"},
		{"/api/v1/pods", "resource legacy g= v=v1 pods ns= name= sub= known"},
		{"/api/v1/nodes/n1", "resource legacy g= v=v1 nodes ns= name=n1 sub= known"},
		{"/api/v1/namespaces/demo", "resource legacy g= v=v1 namespaces ns= name=demo sub= known"},
		{"/api/v1/namespaces/demo/status", "resource legacy g= v=v1 namespaces ns= name=demo sub=status known"},
		{"/api/v1/namespaces/demo/pods", "resource legacy g= v=v1 pods ns=demo name= sub= known"},
		{"/api/v1/namespaces/demo/pods/web-1/log", "resource legacy g= v=v1 pods ns=demo name=web-1 sub=log known"},
		{"/api/v1/namespaces/demo/secrets/a%2Fb", "resource legacy g= v=v1 secrets ns=demo name=a/b sub= known"},
		{"/api/v1/namespaces/demo/nodes", "resource legacy g= v=v1 nodes ns=demo name= sub= unknown"},
		{"/api/v1/namespaces/demo/widgets", "resource legacy g= v=v1 widgets ns=demo name= sub= unknown"},
		{"/apis/apps/v1/deployments", "resource g=apps v=v1 deployments ns= name= sub= known"},
		{"/apis/apps/v1/namespaces/demo/deployments/web/scale", "resource g=apps v=v1 deployments ns=demo name=web sub=scale known"},
		{"/apis/events.k8s.io/v1/namespaces/demo/events", "resource g=events.k8s.io v=v1 events ns=demo name= sub= known"},
		{"/apis/batch/v1/namespaces/demo/deployments", "resource g=batch v=v1 deployments ns=demo name= sub= unknown"},
		{"/apis/apps/v1/namespaces/demo/deployments/web/scale/more", "not kube"},
		// The product's own routes under /api/v1 are not Kubernetes resources.
		{"/api/v1/sources", "not kube"},
		{"/api/v1/watch", "not kube"},
		{"/api/v1/diff/secrets", "not kube"},
		{"/api/v2/pods", "not kube"},
		{"/healthz", "not kube"},
		{"/", "not kube"},
	}
	for _, c := range cases {
		p, err := ParsePath(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if got := describePath(p); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.path, got, c.want)
		}
	}
	if _, err := ParsePath("/api/v1/namespaces/%zz/pods"); err == nil {
		t.Error("a bad escape was read")
	}
}

func describePath(p Path) string {
	legacy := ""
	if p.Legacy {
		legacy = " legacy"
	}
	switch p.Kind {
	case Discovery:
		return fmt.Sprintf("discovery%s g=%s v=%s", legacy, p.Group, p.Version)
	case ResourcePath:
		known := "unknown"
		if p.Known {
			known = "known"
		}
		return fmt.Sprintf("resource%s g=%s v=%s %s ns=%s name=%s sub=%s %s", legacy, p.Group, p.Version, p.Resource, p.Namespace, p.Name, p.Subresource, known)
	}
	return "not kube"
}

func TestParseListOptions(t *testing.T) {
	cases := []struct{ query, kind, err string }{
		{"labelSelector=app%3Dweb,tier!%3Ddb&fieldSelector=spec.nodeName%3Dn1&limit=500", "Pod", ""},
		{"watch=1&resourceVersion=12&allowWatchBookmarks=true&timeoutSeconds=300", "Pod", ""},
		{"fieldSelector=involvedObject.name%3Dweb,involvedObject.namespace%3Ddemo,involvedObject.kind%3DPod,involvedObject.uid%3Dx", "Event", ""},
		{"fieldSelector=spec.nodeName%3Dn1", "Deployment", "field label not supported: spec.nodeName (Deployment supports metadata.name, metadata.namespace)"},
		{"labelSelector=app%3D%3D%3D", "Pod", `labelSelector "app===": `},
		{"limit=-1", "Pod", `limit "-1": not a number ≥ 0`},
		{"watch=maybe", "Pod", `watch "maybe": use true or false`},
		{"resourceVersion=abc", "Pod", `resourceVersion "abc": not a number (take it from a list's metadata.resourceVersion)`},
		{"continue=%21%21", "Pod", "continue key is not valid: take it from the previous page's metadata.continue"},
		{"includeObject=All", "Pod", `includeObject "All": use None, Metadata or Object`},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		_, err := ParseListOptions(q, c.kind)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.query, err)
		case c.err != "" && (err == nil || len(err.Error()) < len(c.err) || err.Error()[:len(c.err)] != c.err):
			t.Errorf("%s: error %v, want %q", c.query, err, c.err)
		}
	}
}

// FuzzParse: paths and queries are outside input; reading them never
// panics, and a path read as a resource has a resource.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/api/v1/namespaces/demo/pods/web/log?follow=true&tailLines=10",
		"/apis/apps/v1/deployments?labelSelector=app%3Dweb&limit=1&continue=eyJydiI6MSwiYWZ0ZXIiOiJhIn0",
		"/api/v1/pods?watch=1&resourceVersion=5&fieldSelector=status.phase!%3DRunning",
		"/apis/events.k8s.io/v1/events", "/api", "/apis/%zz", "/api/v1/namespaces//pods"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		p, err := ParsePath(u.EscapedPath())
		if err != nil {
			return
		}
		if p.Kind == ResourcePath && p.Resource == "" {
			t.Errorf("%q: a resource path without a resource", s)
		}
		kind := ""
		if r, ok := Lookup(p.Group, p.Version, p.Resource); ok {
			kind = r.Kind
		}
		if o, err := ParseListOptions(u.Query(), kind); err == nil && o.Continue != nil {
			if _, err := DecodeContinue(o.Continue.Encode()); err != nil {
				t.Errorf("%q: a decoded continue token does not round-trip: %v", s, err)
			}
		}
	})
}

// segmentsBySplit is Segments as it was: split on "/", unescape each.
func segmentsBySplit(escaped string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(escaped, "/") {
		if s == "" {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Segments without strings.Split answers what the split did, escapes and
// bad escapes included.
func FuzzSegmentsIsTheSplit(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/api/v1/nodes/n1/heartbeat", "/api/v1/namespaces/a%2Fb/pods", "/bad%zz", "a//b/", "%41/+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := Segments(p)
		want, wantErr := segmentsBySplit(p)
		if (err != nil) != (wantErr != nil) || len(got) != len(want) {
			t.Fatalf("Segments(%q) = %q, %v; the split gives %q, %v", p, got, err, want, wantErr)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("Segments(%q) = %q; the split gives %q", p, got, want)
			}
		}
	})
}
