package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/webui"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestUIAssetsNeedNoIdentityButViewsDo: the page and its modules load
// without credentials (the login page must), with a strict Content
// Security Policy; the views behind them answer 401 like every route.
func TestUIAssetsNeedNoIdentityButViewsDo(t *testing.T) {
	st := openStore(t)
	hs := httptest.NewServer((&Server{Store: st, Token: "admin-token"}).Handler())
	t.Cleanup(hs.Close)
	c := hs.Client()
	for path, typ := range map[string]string{"/": "text/html", "/ui/js/app.js": "javascript", "/ui/app.css": "text/css"} {
		resp, err := c.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), typ) {
			t.Errorf("GET %s: %s %q, want 200 %s", path, resp.Status, resp.Header.Get("Content-Type"), typ)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); csp != webui.ContentSecurityPolicy || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	for _, path := range []string{"/ui/", "/ui/nope.js"} {
		if a := call(t, c, hs.URL, "GET", path, nil); a.code != 404 {
			t.Errorf("GET %s: %d, want 404", path, a.code)
		}
	}
	expect(t, "overview without credentials", call(t, c, hs.URL, "GET", "/api/v1/ui/overview", nil), 401, "no credentials")
	expect(t, "whoami with a wrong token", call(t, c, hs.URL, "GET", "/api/v1/ui/whoami", nil, "Authorization", "Bearer nope"), 401, "wrong bearer token")
	a := call(t, c, hs.URL, "GET", "/api/v1/ui/whoami", nil, "Authorization", "Bearer admin-token")
	expect(t, "whoami with the admin token (the login page's check)", a, 200, "")
	var me Whoami
	if err := json.Unmarshal(a.body, &me); err != nil || me.Role != "admin" || !me.May["rollback"] || !me.May["resume"] {
		t.Fatalf("whoami: %s (%v)", a.body, err)
	}
	expect(t, "a POST to the page", call(t, c, hs.URL, "POST", "/", nil), 401, "no credentials")
}

// TestUIWhoamiSaysWhatTheAuthorizerAllows: the buttons the UI shows are
// the authorizer's answers for the caller's role.
func TestUIWhoamiSaysWhatTheAuthorizerAllows(t *testing.T) {
	st := openStore(t)
	ca := newTestCA(t)
	hs := tlsServer(t, &Server{Store: st, Syncer: &peopleSyncer{}, Token: "admin-token"}, ca)
	vc, _ := ca.user(t, "victor", "viewer")
	dc, _ := ca.user(t, "dora", "deployer")
	for _, tc := range []struct {
		cert *http.Client
		want map[string]bool
	}{
		{clientFor(hs, &vc), map[string]bool{"sync": false, "rollback": false, "resume": false}},
		{clientFor(hs, &dc), map[string]bool{"sync": true, "rollback": true, "resume": true}},
	} {
		a := call(t, tc.cert, hs.URL, "GET", "/api/v1/ui/whoami", nil)
		var me Whoami
		if err := json.Unmarshal(a.body, &me); err != nil || a.code != 200 {
			t.Fatalf("whoami: %d %s", a.code, a.body)
		}
		for k, v := range tc.want {
			if me.May[k] != v {
				t.Errorf("%s (%s) may %s: %v, want %v", me.Name, me.Role, k, me.May[k], v)
			}
		}
	}
}

// TestUIObjectNeverShowsSecretValues: the object page's live object is
// masked for every caller, the admin too (the UI never asks to reveal).
func TestUIObjectNeverShowsSecretValues(t *testing.T) {
	st := openStore(t)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db", UID: "s1",
		Annotations: map[string]string{objects.AnnotationSource: "apps", objects.AnnotationSourcePath: "db.yaml", objects.AnnotationCommit: "abc"}},
		Data: map[string][]byte{"password": []byte("value-of-db")}}
	objects.SetTypeMeta(s, "Secret")
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(s) }); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer((&Server{Store: st}).Handler())
	t.Cleanup(hs.Close)
	a := call(t, hs.Client(), hs.URL, "GET", "/api/v1/ui/object?kind=Secret&namespace=shop&name=db", nil)
	expect(t, "the Secret's page", a, 200, "")
	if strings.Contains(string(a.body), "value-of-db") || strings.Contains(string(a.body), "dmFsdWUtb2YtZGI") {
		t.Fatalf("the UI got a Secret value: %s", a.body)
	}
	var v webui.ObjectView
	if err := json.Unmarshal(a.body, &struct {
		Manifest **webui.Manifest `json:"manifest"`
	}{&v.Manifest}); err != nil || v.Manifest == nil || !strings.Contains(v.Manifest.Error, "Secret values never appear") {
		t.Fatalf("a Secret's git file must not be shown: %s", a.body)
	}
}

// TestUIChangesStream: the change stream sends one event per burst of
// object writes (with the kinds) and one for source records, which the
// store's watch does not carry.
func TestUIChangesStream(t *testing.T) {
	st := openStore(t)
	hs := httptest.NewServer((&Server{Store: st}).Handler())
	t.Cleanup(hs.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/v1/ui/changes", nil)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan [2]string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var typ, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && typ != "":
				events <- [2]string{typ, data}
				typ, data = "", ""
			}
		}
		close(events)
	}()
	next := func(what string) Change {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("%s: the stream ended", what)
				}
				if ev[0] != "change" {
					continue
				}
				var c Change
				if err := json.Unmarshal([]byte(ev[1]), &c); err != nil {
					t.Fatal(err)
				}
				return c
			case <-ctx.Done():
				t.Fatalf("%s: no change event", what)
			}
		}
	}
	select { // the stream starts with "ready": the page is live
	case ev := <-events:
		if ev[0] != "ready" {
			t.Fatalf("first event %q, want ready", ev[0])
		}
	case <-ctx.Done():
		t.Fatal("no ready event")
	}
	err = st.Update(func(tx *store.Tx) error {
		for _, n := range []string{"a", "b"} {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: n}}
			objects.SetTypeMeta(cm, "ConfigMap")
			if err := tx.Create(cm); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := next("two ConfigMaps"); len(c.Kinds) != 1 || c.Kinds[0] != "ConfigMap" || c.Sources || c.ResourceVersion != st.ResourceVersion() {
		t.Fatalf("change %+v, want one event for ConfigMap at rv %d", c, st.ResourceVersion())
	}
	if err := st.Update(func(tx *store.Tx) error {
		return tx.PutMeta("source/apps", map[string]any{"lastAttemptedCommit": "abc"})
	}); err != nil {
		t.Fatal(err)
	}
	if c := next("a source record"); !c.Sources || len(c.Kinds) != 0 {
		t.Fatalf("change %+v, want a sources change", c)
	}
}

// fileSyncer serves one git file to the object page.
type fileSyncer struct {
	peopleSyncer
	files map[string]string
}

func (f *fileSyncer) File(_ context.Context, source, commit, path string) ([]byte, error) {
	return []byte(f.files[path]), nil
}

func (f *fileSyncer) Diff(context.Context, string, string, string) (reconcile.Plan, error) {
	return reconcile.Plan{}, nil
}

// TestUIObjectHidesFilesDeclaringSecrets: the manifest beside a live
// object is its file from git, unless that file also declares a Secret
// (whose values it may hold in plain text).
func TestUIObjectHidesFilesDeclaringSecrets(t *testing.T) {
	st := openStore(t)
	for _, tc := range []struct{ name, path string }{{"web", "web.yaml"}, {"api", "all.yaml"}} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: tc.name, UID: types.UID("cm-" + tc.name),
			Annotations: map[string]string{objects.AnnotationSource: "apps", objects.AnnotationSourcePath: tc.path, objects.AnnotationCommit: "abc"}}}
		objects.SetTypeMeta(cm, "ConfigMap")
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(cm) }); err != nil {
			t.Fatal(err)
		}
	}
	sy := &fileSyncer{files: map[string]string{
		"web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
		"all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: plain-in-git\n",
	}}
	hs := httptest.NewServer((&Server{Store: st, Syncer: sy}).Handler())
	t.Cleanup(hs.Close)
	manifest := func(name string) webui.Manifest {
		t.Helper()
		a := call(t, hs.Client(), hs.URL, "GET", "/api/v1/ui/object?kind=ConfigMap&namespace=shop&name="+name, nil)
		expect(t, "object page of "+name, a, 200, "")
		var v struct{ Manifest webui.Manifest }
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(a.body), "plain-in-git") {
			t.Fatalf("a Secret value from git reached the page: %s", a.body)
		}
		return v.Manifest
	}
	if m := manifest("web"); !strings.Contains(m.Text, "name: web") || m.Error != "" {
		t.Errorf("web's file: %+v", m)
	}
	if m := manifest("api"); m.Text != "" || !strings.Contains(m.Error, "also declares a Secret") {
		t.Errorf("a file declaring a Secret: %+v", m)
	}
}
