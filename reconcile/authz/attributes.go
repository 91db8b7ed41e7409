package authz

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/kubeapi"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Verb is what a request does, in Kubernetes' words.
type Verb string

// The verbs of the API's routes.
const (
	VerbGet    Verb = "get"
	VerbList   Verb = "list"
	VerbWatch  Verb = "watch"
	VerbCreate Verb = "create"
	VerbUpdate Verb = "update"
	VerbDelete Verb = "delete"
)

// Resources of the API's action routes, beside the object kinds' plurals.
const (
	ResourceSources   = "sources"   // GET /api/v1/sources
	ResourceRecipient = "recipient" // GET /api/v1/recipient
	ResourceCluster   = "cluster"   // GET /api/v1/cluster
	ResourceSync      = "sync"      // POST /api/v1/sync
	ResourceHistory   = "history"   // GET /api/v1/history
	ResourceRollback  = "rollback"  // POST /api/v1/rollback (pins the source)
	ResourceResume    = "resume"    // POST /api/v1/resume
	ResourceTokens    = "tokens"    // join tokens: GET, POST /api/v1/tokens, DELETE /api/v1/tokens/{id}
	ResourceUsers     = "users"     // people's credentials: GET, POST /api/v1/users, DELETE /api/v1/users/{name}
	ResourceSnapshot  = "snapshot"  // GET /api/v1/snapshot: the whole store, Secrets' values included; POST restores it (etcd)
	ResourceServers   = "servers"   // the control plane: GET /api/v1/servers, DELETE /api/v1/servers/{name} (etcd members)
	// ResourceUI: the web UI's views, GET /api/v1/ui/{view} (the view is
	// the subresource: whoami, overview, tree, object, diff, changes).
	ResourceUI = "ui"
)

// Subresources.
const (
	SubStatus      = "status"      // PUT /api/v1/pods/{name}/status
	SubLog         = "log"         // GET /api/v1/pods/{name}/log
	SubAdopt       = "adopt"       // POST /api/v1/pods/adopt
	SubHeartbeat   = "heartbeat"   // POST /api/v1/nodes/{name}/heartbeat
	SubReady       = "ready"       // PUT /api/v1/nodes/{name}/ready
	SubDiff        = "diff"        // POST /api/v1/diff/secrets
	SubCertificate = "certificate" // POST /api/v1/nodes/{name}/certificate (renewal)
	SubUsage       = "usage"       // PUT /api/v1/nodes/{name}/usage (the node's pods' CPU and memory, reconcile/podmetrics)
)

// Attributes are what the authorizer decides on: the request reduced to
// verb, resource, namespace, name and subresource, as Kubernetes'
// authorizer.Attributes.
type Attributes struct {
	Verb Verb
	// Resource is a kind's plural (objects.Resolve'd: "po" is "pods"), an
	// action resource (ResourceSync…), "" for a watch of every kind, or ""
	// with Path set for a path outside the API (NonResource).
	Resource    string
	Subresource string
	// Namespace: "" for cluster-scoped kinds and for a list or watch of
	// every namespace; "default" when a namespaced route names none (as
	// the handlers default it).
	Namespace string
	Name      string
	// Reveal: ?reveal=true, Secret values asked for.
	Reveal bool
	// Path is set for requests outside /api/v1/ (NonResource).
	Path string
	// Known is false for a resource that is no kind the API serves (the
	// handler answers 404; only admins are let through to hear it).
	Known bool
}

// NonResource reports whether the request is for a path outside the API's
// resources (/healthz, /hooks/…, anything unknown).
func (a Attributes) NonResource() bool { return a.Path != "" }

// String is the attributes as one line (the golden files).
func (a Attributes) String() string {
	if a.NonResource() {
		return fmt.Sprintf("%s path %s", a.Verb, a.Path)
	}
	var b strings.Builder
	b.WriteString(string(a.Verb) + " ")
	if a.Resource == "" {
		b.WriteString("*")
	} else {
		b.WriteString(a.Resource)
	}
	if a.Subresource != "" {
		b.WriteString("/" + a.Subresource)
	}
	if a.Namespace != "" {
		b.WriteString(" ns=" + a.Namespace)
	}
	if a.Name != "" {
		b.WriteString(" name=" + a.Name)
	}
	if a.Reveal {
		b.WriteString(" reveal")
	}
	if !a.Known {
		b.WriteString(" (unknown)")
	}
	return b.String()
}

// ParseRequest reduces a request to its Attributes. It mirrors the routes
// of reconcile/apiserver (server.go's mux): path segments are split on the
// escaped path and unescaped one by one, as http.ServeMux matches them, so
// "secrets/a%2Fb" is the Secret named "a/b" for both. An error means the
// path cannot be read (bad escapes): the server answers 400.
func ParseRequest(method string, u *url.URL) (Attributes, error) {
	segs, err := kubeapi.Segments(u.EscapedPath())
	if err != nil {
		return Attributes{}, err
	}
	if method == http.MethodHead {
		method = http.MethodGet // the mux serves HEAD with the GET routes
	}
	q := u.Query()
	a := Attributes{Verb: verbOf(method, 2), Reveal: q.Get("reveal") == "true"}
	// A group the registry has no kind of (metrics.k8s.io, served by its own
	// routes) stays a non-resource path: people read it, nodes do not.
	if kp := kubeapi.ParseSegments(segs); kp.Kind == kubeapi.ResourcePath && !kp.Product() && (kp.Known || kp.Legacy) {
		return kubeAttributes(a, method, q, kp), nil
	}
	rest, ok := cutPrefix(segs, "api", "v1")
	if !ok || len(rest) == 0 || len(rest) > 3 {
		a.Path = "/" + strings.Join(segs, "/")
		return a, nil
	}
	a.Known = true
	switch {
	case len(rest) == 1 && method == http.MethodGet && rest[0] == "watch":
		a.Verb, a.Namespace = VerbWatch, q.Get("namespace")
		if k := q.Get("kind"); k != "" {
			a.Resource, a.Known = resource(k)
		}
		return a, nil
	case len(rest) == 1 && method == http.MethodGet && isAction(rest[0], ResourceSources, ResourceRecipient, ResourceCluster, ResourceHistory, ResourceSnapshot):
		a.Verb, a.Resource = VerbGet, rest[0]
		return a, nil
	case len(rest) == 1 && method == http.MethodPost && isAction(rest[0], ResourceSync, ResourceRollback, ResourceResume, ResourceSnapshot):
		a.Verb, a.Resource = VerbCreate, rest[0]
		return a, nil
	case len(rest) == 2 && method == http.MethodGet && rest[0] == ResourceUI:
		// Read-only views of what the list routes serve (Secret values
		// masked); the change stream is a watch.
		a.Verb, a.Resource, a.Subresource = VerbGet, ResourceUI, rest[1]
		if rest[1] == "changes" {
			a.Verb = VerbWatch
		}
		return a, nil
	case len(rest) == 2 && method == http.MethodPost && rest[0] == "diff" && rest[1] == "secrets":
		a.Verb, a.Resource, a.Subresource = VerbCreate, "secrets", SubDiff
		return a, nil
	case len(rest) == 2 && method == http.MethodPost && rest[0] == "pods" && rest[1] == "adopt":
		a.Verb, a.Resource, a.Subresource = VerbCreate, "pods", SubAdopt // namespace: the body's (Admit)
		return a, nil
	}
	info, known := objects.Resolve(rest[0])
	a.Resource, a.Known = rest[0], known
	if known {
		a.Resource = info.Plural
	}
	a.Verb = verbOf(method, len(rest))
	if len(rest) >= 2 {
		a.Name = rest[1]
	}
	if len(rest) == 3 {
		a.Subresource = rest[2]
	}
	if known && info.Plural == "nodes" && a.Subresource == SubHeartbeat && method == http.MethodPost {
		a.Verb = VerbUpdate // a heartbeat refreshes the node's status
	}
	if a.Subresource == "" && (a.Verb == VerbList || a.Verb == VerbGet) && kubeapi.IsWatch(q) {
		a.Verb = VerbWatch // the Kubernetes form: ?watch=1 on a collection or an object
	}
	a.Namespace = q.Get("namespace")
	switch {
	case known && !info.Namespaced:
		a.Namespace = ""
	case known && a.Namespace == "" && len(rest) >= 2:
		a.Namespace = "default" // the handlers' default for one object
	}
	return a, nil
}

// kubeAttributes are the attributes of a Kubernetes path the product's
// routes do not share (/api/v1/namespaces/NS/…, /apis/GROUP/VERSION/…):
// the same resources, namespaces and verbs, so every rule applies as on
// the product's paths (reconcile/kubeapi serves them).
func kubeAttributes(a Attributes, method string, q url.Values, kp kubeapi.Path) Attributes {
	n := 1
	if kp.Name != "" {
		n = 2
	}
	a.Verb, a.Resource, a.Subresource, a.Namespace, a.Name, a.Known = verbOf(method, n), kp.Resource, kp.Subresource, kp.Namespace, kp.Name, kp.Known
	if a.Subresource == "" && (a.Verb == VerbList || a.Verb == VerbGet) && kubeapi.IsWatch(q) {
		a.Verb = VerbWatch
	}
	if r, ok := kubeapi.Lookup(kp.Group, kp.Version, kp.Resource); ok && !r.Namespaced {
		a.Namespace = ""
	}
	return a
}

func isAction(s string, names ...string) bool {
	for _, n := range names {
		if s == n {
			return true
		}
	}
	return false
}

// resource canonicalises a kind, plural or short name to its plural.
func resource(name string) (string, bool) {
	if info, ok := objects.Resolve(name); ok {
		return info.Plural, true
	}
	return strings.ToLower(name), false
}

// verbOf maps an HTTP method to a verb; n is the number of path segments
// after /api/v1/ (1: a collection, so GET lists). Other methods keep their
// lowercase name, which no rule grants but admin.
func verbOf(method string, n int) Verb {
	switch method {
	case http.MethodGet:
		if n == 1 {
			return VerbList
		}
		return VerbGet
	case http.MethodPost:
		return VerbCreate
	case http.MethodPut, http.MethodPatch:
		return VerbUpdate
	case http.MethodDelete:
		return VerbDelete
	}
	return Verb(strings.ToLower(method))
}

func cutPrefix(segs []string, prefix ...string) ([]string, bool) {
	if len(segs) < len(prefix) {
		return nil, false
	}
	for i, p := range prefix {
		if segs[i] != p {
			return nil, false
		}
	}
	return segs[len(prefix):], true
}
