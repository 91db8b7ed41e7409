package apiserver

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// kubeServer serves a real in-memory store (history of 5 events, so a
// watch from an old resourceVersion is 410) as an admin's handler.
func kubeServer(t *testing.T) (*store.Store, *httptest.Server) {
	t.Helper()
	st, err := store.OpenWith("", store.Options{History: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := httptest.NewServer((&Server{Store: st}).Handler())
	t.Cleanup(hs.Close)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}
	objects.SetTypeMeta(ns, "Namespace")
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo", Annotations: map[string]string{
		objects.AnnotationSource: "main", objects.AnnotationSourcePath: "apps/web.yaml", objects.AnnotationCommit: "0123456789abcdef"}}}
	objects.SetTypeMeta(d, "Deployment")
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "demo"}, Data: map[string][]byte{"pw": []byte("hunter2")}}
	objects.SetTypeMeta(sec, "Secret")
	err = st.Update(func(tx *store.Tx) error {
		for _, o := range []objects.Object{ns, d, sec, kpod("demo", "web-1", "app=web"), kpod("demo", "db-1", "app=db"), kpod("other", "web-2", "app=web")} {
			if err := tx.Create(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, hs
}

func kpod(ns, name, label string) *corev1.Pod {
	k, v, _ := strings.Cut(label, "=")
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{k: v}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "img"}}}}
	objects.SetTypeMeta(p, "Pod")
	return p
}

func kget(t *testing.T, hs *httptest.Server, method, path, accept string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader("{}"))
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestKubeAPIReads: lists, gets and Tables at the Kubernetes paths, the
// product's shared /api/v1/{plural} paths included; Secrets masked.
func TestKubeAPIReads(t *testing.T) {
	_, hs := kubeServer(t)
	cases := []struct {
		path, accept string
		code         int
		want         string // rows "ns/name" of a Table, or items of a list
	}{
		{"/api/v1/pods", tableAccept, 200, "demo/db-1 demo/web-1 other/web-2"},
		{"/api/v1/pods?labelSelector=app%3Dweb", tableAccept, 200, "demo/web-1 other/web-2"},
		{"/api/v1/namespaces/demo/pods?fieldSelector=metadata.name%3Dweb-1", "", 200, "PodList v1: demo/web-1"},
		{"/apis/apps/v1/namespaces/demo/deployments", "", 200, "DeploymentList apps/v1: demo/web"},
		{"/apis/apps/v1/deployments", tableAccept, 200, "demo/web"},
		{"/api/v1/namespaces/demo/pods?limit=1", "", 200, "PodList v1: demo/db-1 (continue)"},
		{"/api/v1/namespaces/demo/pods?limit=1", tableAccept, 200, "demo/db-1 demo/web-1"}, // a Table is served whole
		{"/api/v1/namespaces", "", 200, "NamespaceList v1: /demo"},
		{"/api/v1/namespaces/demo/pods/nope", "", 404, `pods "nope" not found`},
		{"/apis/apps/v1/namespaces/demo/widgets", "", 404, "the server could not find the requested resource"},
		{"/api/v1/namespaces/demo/pods?fieldSelector=spec.replicas%3D1", "", 400, "field label not supported: spec.replicas"},
	}
	for _, c := range cases {
		code, body := kget(t, hs, "GET", c.path, c.accept)
		if code != c.code {
			t.Errorf("%s: %d %s", c.path, code, body)
			continue
		}
		if got := summarize(t, body); !strings.Contains(got, c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.path, got, c.want)
		}
	}

	// One object, as JSON and as a Table; a Secret's values masked.
	code, body := kget(t, hs, "GET", "/apis/apps/v1/namespaces/demo/deployments/web", "")
	var d appsv1.Deployment
	if code != 200 || json.Unmarshal(body, &d) != nil || d.Name != "web" || d.Kind != "Deployment" {
		t.Errorf("get deployment: %d %s", code, body)
	}
	code, body = kget(t, hs, "GET", "/api/v1/namespaces/demo/secrets/db", "")
	if code != 200 || strings.Contains(string(body), "aHVudGVyMg") /* base64 of hunter2 */ {
		t.Errorf("get secret: %d %s", code, body)
	}
	code, body = kget(t, hs, "GET", "/api/v1/nodes/nope", tableAccept)
	if code != 404 || !strings.Contains(string(body), `nodes \"nope\" not found`) {
		t.Errorf("get missing node: %d %s", code, body)
	}

	// The product's client still reads the shared core paths.
	c := apiclient.New(hs.URL, "")
	items, _, err := c.List(t.Context(), "Pod", "demo", nil)
	if err != nil || len(items) != 2 {
		t.Errorf("product list of pods: %v %v", items, err)
	}
	if _, err := c.Get(t.Context(), objects.Key{Kind: "Namespace", Name: "demo"}); err != nil {
		t.Errorf("product get of a namespace: %v", err)
	}
}

// summarize reads a Table as its rows' "ns/name", a list as
// "<Kind> <apiVersion>: ns/name…", a Status as its message.
func summarize(t *testing.T, body []byte) string {
	var v struct {
		Kind, APIVersion, Message string
		Metadata                  metav1.ObjectMeta
		Rows                      []metav1.TableRow
		Items                     []metav1.PartialObjectMetadata
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	switch v.Kind {
	case "Table":
		for _, r := range v.Rows {
			var m metav1.PartialObjectMetadata
			json.Unmarshal(r.Object.Raw, &m)
			out = append(out, m.Namespace+"/"+m.Name)
		}
		return strings.Join(out, " ")
	case "Status":
		return v.Message
	}
	if !strings.HasSuffix(v.Kind, "List") {
		return v.Metadata.Namespace + "/" + v.Metadata.Name // one object
	}
	for _, it := range v.Items {
		out = append(out, it.Namespace+"/"+it.Name)
	}
	s := v.Kind + " " + v.APIVersion + ": " + strings.Join(out, " ")
	var l struct{ Metadata metav1.ListMeta }
	json.Unmarshal(body, &l)
	if l.Metadata.Continue != "" {
		s += " (continue)"
	}
	return s
}

// TestKubeAPIWatch: ?watch=1 from a list's resourceVersion carries the
// next change as a WatchEvent (a Table with Table's Accept); without a
// resourceVersion the existing objects come first as ADDED; a
// resourceVersion the history no longer holds is 410 Expired.
func TestKubeAPIWatch(t *testing.T) {
	st, hs := kubeServer(t)
	_, body := kget(t, hs, "GET", "/api/v1/namespaces/demo/pods", "")
	var l struct{ Metadata metav1.ListMeta }
	json.Unmarshal(body, &l)

	events := func(query, accept string, n int) []string {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a missing event fails, not hangs
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/v1/namespaces/demo/pods?watch=1&"+query, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("watch %s: %d %s", query, resp.StatusCode, b)
		}
		sc := bufio.NewScanner(resp.Body)
		var out []string
		for len(out) < n && sc.Scan() {
			var ev struct {
				Type   string
				Object json.RawMessage
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("%v: %s", err, sc.Text())
			}
			out = append(out, ev.Type+" "+summarize(t, ev.Object))
		}
		return out
	}
	go func() {
		// Whenever this lands, the watch starts from the list's version.
		st.Update(func(tx *store.Tx) error {
			if err := tx.Create(kpod("demo", "web-3", "app=web")); err != nil {
				return err
			}
			return tx.Create(kpod("demo", "db-2", "app=db"))
		})
	}()
	got := events("labelSelector=app%3Dweb&resourceVersion="+l.Metadata.ResourceVersion, tableAccept, 1)
	if want := "ADDED demo/web-3"; len(got) != 1 || got[0] != want {
		t.Errorf("watch from the list: %q, want %q", got, want)
	}
	got = events("fieldSelector=metadata.name%3Ddb-2", "application/json", 1)
	if want := "ADDED demo/db-2"; len(got) != 1 || got[0] != want {
		t.Errorf("watch without resourceVersion: %q, want %q…", got, want)
	}

	// Selectors over changes: an object that stops matching is DELETED for
	// the watcher, one that starts matching ADDED, as Kubernetes' watch.
	_, body = kget(t, hs, "GET", "/api/v1/namespaces/demo/pods", "")
	json.Unmarshal(body, &l)
	relabel := func(name, app string) {
		st.Update(func(tx *store.Tx) error {
			o, err := tx.Get(objects.Key{Kind: "Pod", Namespace: "demo", Name: name})
			if err != nil {
				return err
			}
			o.SetLabels(map[string]string{"app": app})
			return tx.Update(o)
		})
	}
	// Before the watch starts: replayed from the history, as a watcher
	// that lists, works, then watches sees them.
	relabel("web-1", "old")
	relabel("db-1", "web")
	got = events("labelSelector=app%3Dweb&resourceVersion="+l.Metadata.ResourceVersion, "application/json", 2)
	if want := "DELETED demo/web-1,ADDED demo/db-1"; strings.Join(got, ",") != want {
		t.Errorf("relabelled pods: %q, want %q", got, want)
	}

	// A watch allowing bookmarks gets one with the store's version while
	// the changes it sees select nothing.
	bookmarkEvery = 10 * time.Millisecond
	t.Cleanup(func() { bookmarkEvery = time.Minute })
	_, body = kget(t, hs, "GET", "/api/v1/namespaces/demo/pods", "")
	json.Unmarshal(body, &l)
	go st.Update(func(tx *store.Tx) error { return tx.Create(kpod("demo", "other-1", "app=other")) })
	got = events("labelSelector=app%3Dnone&allowWatchBookmarks=true&resourceVersion="+l.Metadata.ResourceVersion, "application/json", 1)
	if len(got) != 1 || !strings.HasPrefix(got[0], "BOOKMARK") {
		t.Errorf("watch with bookmarks: %q, want a BOOKMARK", got)
	}

	// Enough writes that resourceVersion 1 leaves the history of 5.
	for i := range 8 {
		st.Update(func(tx *store.Tx) error { return tx.Create(kpod("demo", fmt.Sprintf("x-%d", i), "app=x")) })
	}
	code, body := kget(t, hs, "GET", "/api/v1/namespaces/demo/pods?watch=1&resourceVersion=1", "")
	var s apierrors.Status
	json.Unmarshal(body, &s)
	if code != http.StatusGone || s.Reason != apierrors.ReasonExpired {
		t.Errorf("watch from a compacted version: %d %s", code, body)
	}
}

// TestKubeAPIWritesRefused: every write is a 405 Status that says where in
// git to change the object instead.
func TestKubeAPIWritesRefused(t *testing.T) {
	_, hs := kubeServer(t)
	cases := []struct{ method, path, want string }{
		{"PATCH", "/apis/apps/v1/namespaces/demo/deployments/web", `change apps/web.yaml in source "main" (as of commit 0123456789ab)`},
		{"PUT", "/apis/apps/v1/namespaces/demo/deployments/web/scale", `cannot scale deployments.apps "web"`},
		{"DELETE", "/api/v1/namespaces/demo/pods/web-1", `cannot delete pods "web-1" in namespace "demo"`},
		{"POST", "/api/v1/namespaces/demo/configmaps", "add it to a source's repository in git"},
		{"POST", "/api/v1/namespaces", "cannot create namespaces"},
		{"PATCH", "/api/v1/namespaces/demo", `cannot patch namespaces "demo"`},
	}
	for _, c := range cases {
		code, body := kget(t, hs, c.method, c.path, "")
		var s apierrors.Status
		json.Unmarshal(body, &s)
		if code != http.StatusMethodNotAllowed || s.Reason != apierrors.ReasonMethodNotAllowed || s.Kind != "Status" || !strings.Contains(s.Message, c.want) {
			t.Errorf("%s %s: %d %s, want 405 with %q", c.method, c.path, code, body, c.want)
		}
	}
}

// TestKubeAPIDiscovery: the documents are served at their paths.
func TestKubeAPIDiscovery(t *testing.T) {
	_, hs := kubeServer(t)
	for path, want := range map[string]string{
		"/api": `"versions":["v1"]`, "/api/v1": `"name":"pods/log"`, "/apis": `"name":"apps"`,
		"/apis/apps": `"preferredVersion"`, "/apis/apps/v1": `"kind":"Deployment"`,
		"/apis/events.k8s.io/v1": `"name":"events"`, "/version": `"major":"1"`, "/openapi/v2": `"swagger":"2.0"`,
	} {
		code, body := kget(t, hs, "GET", path, "")
		if code != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s, want %s", path, code, body, want)
		}
	}
	if code, _ := kget(t, hs, "GET", "/apis/nope.example.com/v1", ""); code != 404 {
		t.Errorf("an unknown group: %d", code)
	}
}

// TestKubeAPIKeepsNodeAndRoleLimits: the Kubernetes paths authorize as the
// product's: a node reads only its own pods and the Secrets they
// reference, through lists, gets and watches; a viewer reads Secrets
// masked and may not reveal them nor write.
func TestKubeAPIKeepsNodeAndRoleLimits(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	ca := newTestCA(t)
	hs := tlsServer(t, &Server{Store: st, Token: "admin-token"}, ca)
	certA, _ := ca.node(t, "a")
	a := clientFor(hs, &certA)
	get := func(path string) answer { return call(t, a, hs.URL, "GET", path, nil) }

	expect(t, "node a gets its pod", get("/api/v1/namespaces/shop/pods/web"), 200, "")
	expect(t, "node a gets node b's pod", get("/api/v1/namespaces/shop/pods/other"), 403, "no pod shop/other is bound to node a")
	expect(t, "node a gets node b's Secret", get("/api/v1/namespaces/shop/secrets/other-db?reveal=true"), 403,
		"no pod bound to node a references secret shop/other-db")
	expect(t, "node a lists deployments", get("/apis/apps/v1/deployments"), 403, `node "node:a" cannot list resource "deployments"`)
	expect(t, "node a reads discovery", get("/apis/apps/v1"), 200, "")
	ans := get("/api/v1/namespaces/shop/pods")
	if got := summarize(t, ans.body); got != "PodList v1: shop/web" {
		t.Errorf("node a lists pods: %s", got)
	}
	ans = get("/api/v1/namespaces/shop/secrets?reveal=true")
	if got := summarize(t, ans.body); got != "SecretList v1: shop/db" {
		t.Errorf("node a lists secrets: %s", got)
	}

	certV, _ := ca.user(t, "victor", "viewer")
	v := clientFor(hs, &certV)
	ans = call(t, v, hs.URL, "GET", "/api/v1/namespaces/shop/secrets/db", nil)
	expect(t, "a viewer gets a Secret", ans, 200, "")
	if strings.Contains(string(ans.body), base64.StdEncoding.EncodeToString([]byte("value-of-db"))) {
		t.Errorf("a viewer saw a Secret value: %s", ans.body)
	}
	expect(t, "a viewer reveals", call(t, v, hs.URL, "GET", "/api/v1/namespaces/shop/secrets/db?reveal=true", nil), 403, "never sees Secret values")
	expect(t, "a viewer patches", call(t, v, hs.URL, "PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", nil), 403, "a viewer only reads")
}
