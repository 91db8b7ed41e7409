package apiserver

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/reconcile/kubeapi"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/tables"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ManifestLocator is what a Syncer may offer to name the line of an
// object's document in its git file at a commit (sources.Manager does):
// the 405 answer to a Kubernetes write names file:line.
type ManifestLocator interface {
	ManifestLine(ctx context.Context, source, commit, path string, key objects.Key) (int, error)
}

// kubeRoutes mounts the read-only Kubernetes API (package kubeapi) beside
// the product's routes: discovery, lists, gets, watches, Tables, pods/log
// and events for every kind of the registry; writes answer 405 with the
// git file and line to change. The product's GET /api/v1/{plural} and
// /api/v1/{plural}/{name} of core kinds are the same paths in Kubernetes:
// s.list and s.get hand those to kubeList and kubeGet (kubeapi.go), which
// keep the product's ?namespace=, ?node= and ?reveal=.
func (s *Server) kubeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api", s.kubeDiscovery)
	mux.HandleFunc("GET /api/v1", s.kubeDiscovery)
	mux.HandleFunc("GET /apis", s.kubeDiscovery)
	mux.HandleFunc("GET /apis/{rest...}", s.kubeResource)
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/{rest...}", s.kubeResource)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, kubeapi.Version(cmp.Or(s.BuildVersion, "devel")))
	})
	mux.HandleFunc("GET /openapi/v2", func(w http.ResponseWriter, r *http.Request) {
		body, ct := kubeapi.OpenAPIV2(r.Header.Get("Accept"))
		w.Header().Set("Content-Type", ct)
		w.Write(body)
	})
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		mux.HandleFunc(m+" /apis/{rest...}", s.kubeWrite)
		mux.HandleFunc(m+" /api/v1/namespaces/{ns}/{rest...}", s.kubeWrite)
	}
	for _, m := range []string{"POST", "PATCH", "DELETE"} {
		mux.HandleFunc(m+" /api/v1/{plural}", s.kubeWrite)
	}
	for _, m := range []string{"PATCH", "DELETE"} {
		mux.HandleFunc(m+" /api/v1/{plural}/{name}", s.kubeWrite)
	}
}

// isKubeCore: /api/v1/{plural} of a core kind is the Kubernetes resource.
func isKubeCore(plural string) (kubeapi.Resource, bool) { return kubeapi.Lookup("", "v1", plural) }

func (s *Server) kubeDiscovery(w http.ResponseWriter, r *http.Request) {
	p, err := kubeapi.ParsePath(r.URL.EscapedPath())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	switch {
	case p.Legacy && p.Version == "":
		writeJSON(w, http.StatusOK, kubeapi.APIVersions(r.Host))
		return
	case !p.Legacy && p.Group == "":
		writeJSON(w, http.StatusOK, kubeapi.APIGroupList())
		return
	case !p.Legacy && p.Version == "":
		if g, ok := kubeapi.APIGroup(p.Group); ok {
			writeJSON(w, http.StatusOK, g)
			return
		}
	default:
		if l, ok := kubeapi.APIResourceList(p.Group, p.Version); ok {
			writeJSON(w, http.StatusOK, l)
			return
		}
	}
	writeError(w, http.StatusNotFound, errors.New("the server could not find the requested resource"))
}

// kubeResource serves GET of every Kubernetes path but the core
// collections the product's routes share (s.list hands those over).
func (s *Server) kubeResource(w http.ResponseWriter, r *http.Request) {
	p, err := kubeapi.ParsePath(r.URL.EscapedPath())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	switch {
	case p.Kind == kubeapi.Discovery:
		s.kubeDiscovery(w, r)
	case p.Kind != kubeapi.ResourcePath || !p.Known:
		writeError(w, http.StatusNotFound, errors.New("the server could not find the requested resource"))
	case p.Subresource == "log" && p.Resource == "pods" && p.Group == "":
		s.kubePodLog(w, r, p)
	case p.Subresource != "":
		writeError(w, http.StatusNotFound, fmt.Errorf("the server could not find the requested resource (get %s.%s %s: subresource %q is not served)", p.Resource, p.Group, p.Name, p.Subresource))
	case p.Name != "":
		s.kubeGet(w, r, p)
	default:
		res, _ := kubeapi.Lookup(p.Group, p.Version, p.Resource)
		s.kubeList(w, r, p, res)
	}
}

// kubePodLog is pods/log: the product's log route (logs.go) with the
// namespace of the path.
func (s *Server) kubePodLog(w http.ResponseWriter, r *http.Request, p kubeapi.Path) {
	r2 := r.Clone(r.Context())
	q := r2.URL.Query()
	q.Set("namespace", p.Namespace)
	r2.URL.RawQuery = q.Encode()
	r2.SetPathValue("name", p.Name)
	s.podLog(w, r2)
}

func (s *Server) kubeGet(w http.ResponseWriter, r *http.Request, p kubeapi.Path) {
	res, _ := kubeapi.Lookup(p.Group, p.Version, p.Resource)
	key := objects.Key{Kind: res.Kind, Name: p.Name}
	if res.Namespaced {
		key.Namespace = p.Namespace
		if key.Namespace == "" {
			key.Namespace = r.URL.Query().Get("namespace")
		}
	}
	if kubeapi.IsWatch(r.URL.Query()) {
		s.kubeWatch(w, r, p, res)
		return
	}
	o, err := s.Store.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("%s %q not found", groupResource(res), p.Name))
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	if !reveal(r) {
		o = secrets.Mask(o)
	}
	if kubeapi.WantsTable(r.Header.Get("Accept")) {
		opts, err := kubeapi.ParseListOptions(r.URL.Query(), res.Kind)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		t := kubeapi.ToTable(tables.Row, res.Kind, res.Group, []objects.Object{o}, opts.IncludeObject)
		t.ResourceVersion = o.GetResourceVersion()
		writeJSON(w, http.StatusOK, t)
		return
	}
	writeJSON(w, http.StatusOK, kubeapi.Convert(o, res.Group))
}

// groupResource is Kubernetes' "deployments.apps" ("pods" in the core group).
func groupResource(r kubeapi.Resource) string {
	if r.Group == "" {
		return r.Plural
	}
	return r.Plural + "." + r.Group
}

// kubeListBody is a Kubernetes list: kind <Kind>List, the items as the
// group's version serves them.
type kubeListBody struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ListMeta `json:"metadata"`
	Items           []any           `json:"items"`
}

func (s *Server) kubeList(w http.ResponseWriter, r *http.Request, p kubeapi.Path, res kubeapi.Resource) {
	q := r.URL.Query()
	opts, err := kubeapi.ParseListOptions(q, res.Kind)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if opts.Watch {
		s.kubeWatch(w, r, p, res)
		return
	}
	ns := p.Namespace
	if ns == "" && res.Namespaced {
		ns = q.Get("namespace") // the product's own form
	}
	items, rv, err := s.listKind(res.Kind, ns, q.Get("node"))
	if err != nil {
		writeErr(w, err)
		return
	}
	if items, err = s.visible(r, items); err != nil { // a node sees its own objects only
		writeErr(w, err)
		return
	}
	table := kubeapi.WantsTable(r.Header.Get("Accept"))
	if table {
		// A Table is served whole, as by a server that does not chunk
		// (Kubernetes lets a server ignore limit): kubectl asks in pages of
		// 500, and its client-side rate limit (5 requests a second after a
		// burst of 10) alone made `kubectl get pods -A` over 10,000 pods
		// take 2 s more than the 0.2 s the whole Table costs here
		// (BENCHMARKS.md). JSON lists page as asked.
		opts.Limit = 0
	}
	page, next, listRV := opts.Page(items, rv)
	if !reveal(r) {
		for i, o := range page {
			page[i] = secrets.Mask(o)
		}
	}
	meta := metav1.ListMeta{ResourceVersion: strconv.FormatUint(listRV, 10), Continue: next}
	if table {
		t := kubeapi.ToTable(tables.Row, res.Kind, res.Group, page, opts.IncludeObject)
		t.ListMeta = meta
		writeJSON(w, http.StatusOK, t)
		return
	}
	writeList(w, metav1.TypeMeta{Kind: res.Kind + "List", APIVersion: res.GroupVersion()}, meta, len(page), func(i int) any {
		return kubeapi.Convert(page[i], res.Group)
	})
}

// kubeWatchEvent is one event of a Kubernetes watch stream.
type kubeWatchEvent struct {
	Type   string `json:"type"`
	Object any    `json:"object"`
}

// kubeWatch streams the store's events of one resource (one object with a
// name) that pass the selectors, as Kubernetes WatchEvents: after
// ?resourceVersion, or, without one (or "0"), first every existing object
// as ADDED. A resourceVersion older than the store's history is 410 Gone
// (reason Expired): the client lists again.
func (s *Server) kubeWatch(w http.ResponseWriter, r *http.Request, p kubeapi.Path, res kubeapi.Resource) {
	opts, err := kubeapi.ParseListOptions(r.URL.Query(), res.Kind)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ns := p.Namespace
	if ns == "" && res.Namespaced {
		ns = r.URL.Query().Get("namespace")
	}
	inScope := func(o objects.Object) bool {
		return objects.KindOf(o) == res.Kind && (ns == "" || o.GetNamespace() == ns) && (p.Name == "" || o.GetName() == p.Name)
	}
	ctx := r.Context()
	if opts.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(opts.TimeoutSeconds)*time.Second)
		defer cancel()
	}
	// The objects now: sent first as ADDED without a resourceVersion, and
	// in every case the selection the watcher holds (sent, below).
	current, listRV, err := s.Store.ListShared(res.Kind, ns)
	if err != nil {
		writeErr(w, err)
		return
	}
	var initial []objects.Object
	rv, _ := strconv.ParseUint(opts.ResourceVersion, 10, 64)
	fromList := rv == 0
	if fromList {
		initial, rv = current, listRV
	}
	events, err := s.Store.Watch(ctx, rv)
	if errors.Is(err, store.ErrGone) {
		writeError(w, http.StatusGone, apierrors.New(apierrors.ReasonExpired, "too old resource version: %d (%v): list again and watch from the list's metadata.resourceVersion", rv, err))
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	table := kubeapi.WantsTable(r.Header.Get("Accept"))
	show, id := reveal(r), identity(r)
	httpserver.Stream(w) // a watch outlives the server's read and write timeouts
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	// sent holds the objects this watch has shown and not yet deleted, so
	// an object that stops matching the selectors is DELETED for the
	// watcher and one that starts matching is ADDED, as Kubernetes' watch
	// cache does with the object's previous state.
	sent, maybe := map[types.UID]bool{}, map[types.UID]bool{}
	if !fromList {
		// The watcher listed at rv itself, and the store keeps no earlier
		// states: it holds what matches now and has not changed since rv,
		// and maybe what changed since (which may have matched then).
		// Leaving the selection, a maybe is DELETED (at worst once for a
		// watcher that never saw it: informers ignore that, kubectl -w
		// prints a line); entering it, ADDED.
		for _, o := range current {
			changed, _ := strconv.ParseUint(o.GetResourceVersion(), 10, 64)
			switch {
			case !inScope(o):
			case changed > rv:
				maybe[o.GetUID()] = true
			case opts.Selects(o):
				sent[o.GetUID()] = true
			}
		}
	}
	send := func(typ string, o objects.Object) bool {
		if !inScope(o) {
			return true
		}
		// A node's watch carries only what it may read (a fresh filter per event).
		if ok, err := authz.Visibility(id, s.graph())(o); err != nil || !ok {
			if err != nil {
				s.logError("kubernetes watch: filtering an event for "+id.Name, err)
			}
			return true
		}
		uid, matches := o.GetUID(), opts.Selects(o)
		held := sent[uid] || maybe[uid] && typ != string(store.Added) // created after rv: the watcher never had it
		delete(maybe, uid)
		switch {
		case matches && typ == string(store.Deleted):
			delete(sent, uid)
		case matches:
			if typ == string(store.Modified) && !sent[uid] {
				typ = string(store.Added) // it enters the selection
			}
			sent[uid] = true
		case held:
			delete(sent, uid) // it leaves the selection
			typ = string(store.Deleted)
		default:
			return true
		}
		if !show {
			o = secrets.Mask(o) // a copy: the object is shared by every watcher
		}
		var obj any = kubeapi.Convert(o, res.Group)
		if table {
			t := kubeapi.ToTable(tables.Row, res.Kind, res.Group, []objects.Object{o}, opts.IncludeObject)
			t.ResourceVersion = o.GetResourceVersion()
			obj = t
		}
		httpserver.Extend(w)
		if err := enc.Encode(kubeWatchEvent{Type: typ, Object: obj}); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	for _, o := range initial {
		if !send(string(store.Added), o) {
			return
		}
	}
	// Bookmarks (?allowWatchBookmarks=true: client-go's informers) carry
	// the store's resourceVersion while nothing the watcher selects
	// changes, so a restarted watch resumes from a recent version instead
	// of relisting after the history moved on.
	var tick <-chan time.Time
	if opts.AllowBookmarks {
		t := time.NewTicker(bookmarkEvery)
		defer t.Stop()
		tick = t.C
	}
	lastRV, bookmarked := rv, rv
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			lastRV = ev.ResourceVersion
			if !send(string(ev.Type), ev.Object) {
				return
			}
		case <-tick:
			if lastRV == bookmarked {
				continue
			}
			bookmarked = lastRV
			mark := metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: res.Kind, APIVersion: res.GroupVersion()},
				ObjectMeta: metav1.ObjectMeta{ResourceVersion: strconv.FormatUint(lastRV, 10)}}
			httpserver.Extend(w)
			if err := enc.Encode(kubeWatchEvent{Type: "BOOKMARK", Object: mark}); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
}

// bookmarkEvery is how often a watch that allows bookmarks gets one (when
// the store moved on); Kubernetes sends them about once a minute.
var bookmarkEvery = time.Minute

// kubeWrite answers every Kubernetes write (apply, create, edit, replace
// of a namespaced object, delete, scale) with a 405 Status naming the git
// file and line of the object, or the source to add a new one to.
func (s *Server) kubeWrite(w http.ResponseWriter, r *http.Request) {
	p, err := kubeapi.ParsePath(r.URL.EscapedPath())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if p.Kind != kubeapi.ResourcePath || !p.Known {
		writeError(w, http.StatusNotFound, errors.New("the server could not find the requested resource"))
		return
	}
	res, _ := kubeapi.Lookup(p.Group, p.Version, p.Resource)
	verb := kubeapi.VerbOfMethod(r.Method, p.Subresource)
	var loc *kubeapi.Location
	if p.Name != "" && r.Method != http.MethodPost {
		key := objects.Key{Kind: res.Kind, Namespace: p.Namespace, Name: p.Name}
		if !res.Namespaced {
			key.Namespace = ""
		}
		if o, err := s.Store.Get(key); err == nil {
			loc = s.locate(r.Context(), o)
		}
	}
	writeErr(w, kubeapi.WriteRefused(verb, groupResource(res), p.Namespace, p.Name, loc, s.sourceNames()))
}

// locate reads where o comes from in git; the line when the Syncer can
// read the file at the commit (ManifestLocator), else the file alone.
func (s *Server) locate(ctx context.Context, o objects.Object) *kubeapi.Location {
	a := o.GetAnnotations()
	loc := &kubeapi.Location{Source: a[objects.AnnotationSource], Path: a[objects.AnnotationSourcePath], Commit: a[objects.AnnotationCommit]}
	if ref := metav1.GetControllerOf(o); ref != nil {
		loc.Owner = ref.Kind + " " + o.GetNamespace() + "/" + ref.Name
		if o.GetNamespace() == "" {
			loc.Owner = ref.Kind + " " + ref.Name
		}
	}
	if ml, ok := s.Syncer.(ManifestLocator); ok && loc.Source != "" && loc.Path != "" {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		line, err := ml.ManifestLine(ctx, loc.Source, loc.Commit, loc.Path, objects.KeyOf(o))
		if err != nil {
			s.logError("finding the line of "+objects.KeyOf(o).String()+" in git", err)
		}
		loc.Line = line
	}
	return loc
}

func (s *Server) sourceNames() []string {
	if s.Syncer == nil {
		return nil
	}
	st, err := s.Syncer.Statuses()
	if err != nil {
		return nil
	}
	var out []string
	for _, x := range st {
		out = append(out, x.Name)
	}
	return out
}

// listKind lists kind in ns (every namespace when ""), only the pods bound
// to node when node is set (an agent's list of its pods, from the store's
// index by node: its cost is the node's pods, not the cluster's).
func (s *Server) listKind(kind, ns, node string) ([]objects.Object, uint64, error) {
	if node == "" {
		return s.Store.ListShared(kind, ns)
	}
	if kind != "Pod" {
		return nil, s.Store.ResourceVersion(), nil // only pods are bound to a node
	}
	items, rv, err := s.Store.ListPodsOnNode(node)
	if err != nil || ns == "" {
		return items, rv, err
	}
	return slices.DeleteFunc(items, func(o objects.Object) bool { return o.GetNamespace() != ns }), rv, nil
}
