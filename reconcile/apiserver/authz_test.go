package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// cluster fills st: nodes a and b; shop/web on a (env from secret db, a
// volume of configmap cfg), shop/other on b (secret other-db); secrets
// db, other-db, unreferenced; configmaps cfg, other.
func cluster(t *testing.T, st *store.Store) {
	t.Helper()
	web := pod("web", "a")
	web.Namespace = "shop"
	web.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "PW", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "pw"}}}}
	web.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}}
	other := pod("other", "b")
	other.Namespace = "shop"
	other.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "other-db"}}}}
	objs := []objects.Object{testNode("a"), testNode("b"), web, other,
		testSecret("shop", "db"), testSecret("shop", "other-db"), testSecret("shop", "unreferenced"),
		testConfigMap("shop", "cfg"), testConfigMap("shop", "other")}
	if err := st.Update(func(tx *store.Tx) error {
		for _, o := range objs {
			if err := tx.Create(o); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func testNode(name string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	objects.SetTypeMeta(n, "Node")
	return n
}

func testSecret(ns, name string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"pw": []byte("value-of-" + name)}}
	objects.SetTypeMeta(s, "Secret")
	return s
}

func testConfigMap(ns, name string) *corev1.ConfigMap {
	c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"k": "v"}}
	objects.SetTypeMeta(c, "ConfigMap")
	return c
}

// TestNodeCredentialLeastPrivilege: node a's certificate reaches its own
// pods, the Secrets they reference (with values) and its own Node, and
// nothing of node b's.
func TestNodeCredentialLeastPrivilege(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	ca := newTestCA(t)
	hs := tlsServer(t, &Server{Store: st, Token: "admin-token"}, ca)
	certA, _ := ca.node(t, "a")
	a := clientFor(hs, &certA)
	get := func(path string) answer { return call(t, a, hs.URL, "GET", path, nil) }

	expect(t, "node a gets its pod", get("/api/v1/pods/web?namespace=shop"), 200, "")
	expect(t, "node a gets node b's pod", get("/api/v1/pods/other?namespace=shop"), 403,
		`node "node:a" cannot get resource "pods" in namespace "shop": no pod shop/other is bound to node a`)
	expect(t, "node a gets an unreferenced Secret", get("/api/v1/secrets/unreferenced?namespace=shop&reveal=true"), 403,
		"no pod bound to node a references secret shop/unreferenced")
	expect(t, "node a gets node b's Secret", get("/api/v1/secrets/other-db?namespace=shop&reveal=true"), 403,
		"no pod bound to node a references secret shop/other-db")
	expect(t, "node a gets an unreferenced ConfigMap", get("/api/v1/configmaps/other?namespace=shop"), 403,
		"references configmap shop/other")
	expect(t, "node a lists deployments", get("/api/v1/deployments"), 403, `node "node:a" cannot list resource "deployments"`)
	expect(t, "node a reads history", get("/api/v1/history"), 403, `cannot get resource "history"`)

	ans := get("/api/v1/secrets/db?namespace=shop&reveal=true")
	expect(t, "node a gets the Secret its pod references", ans, 200, "")
	var s corev1.Secret
	if err := json.Unmarshal(ans.body, &s); err != nil || string(s.Data["pw"]) != "value-of-db" {
		t.Fatalf("the referenced Secret came without its value: %s (%v)", ans.body, err)
	}
	expect(t, "node a gets the ConfigMap its pod references", get("/api/v1/configmaps/cfg?namespace=shop"), 200, "")

	// Writes: its own Node and pods only.
	expect(t, "heartbeat of node b", call(t, a, hs.URL, "POST", "/api/v1/nodes/b/heartbeat", nil), 403,
		`node "node:a" cannot update resource "nodes/heartbeat": node a may write only its own Node, not "b"`)
	expect(t, "ready report of node b", call(t, a, hs.URL, "PUT", "/api/v1/nodes/b/ready", corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionFalse}), 403, "only its own Node")
	expect(t, "registration as node b", call(t, a, hs.URL, "POST", "/api/v1/nodes", testNode("b")), 403, `may register only itself, not "b"`)
	expect(t, "its own heartbeat", call(t, a, hs.URL, "POST", "/api/v1/nodes/a/heartbeat", nil), 200, "")
	expect(t, "status of its pod", call(t, a, hs.URL, "PUT", "/api/v1/pods/web/status?namespace=shop", podWithStatus(st, t, "web")), 200, "")
	expect(t, "status of node b's pod", call(t, a, hs.URL, "PUT", "/api/v1/pods/other/status?namespace=shop", podWithStatus(st, t, "other")), 403, "no pod shop/other is bound to node a")
	expect(t, "finalize node b's pod", call(t, a, hs.URL, "DELETE", "/api/v1/pods/other?namespace=shop", nil), 403, "no pod shop/other is bound to node a")
	expect(t, "replace a Deployment", call(t, a, hs.URL, "PUT", "/api/v1/deployments/web?namespace=shop", nil), 403, `cannot update resource "deployments"`)

	// Lists are filtered: its pods, its referenced Secrets.
	names := func(path string) []string {
		ans := get(path)
		expect(t, path, ans, 200, "")
		var l apitypes.List
		if err := json.Unmarshal(ans.body, &l); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range l.Items {
			out = append(out, o.GetName())
		}
		return out
	}
	if got := strings.Join(names("/api/v1/pods"), ","); got != "web" {
		t.Errorf("node a lists pods %q, want only web", got)
	}
	if got := strings.Join(names("/api/v1/secrets?reveal=true"), ","); got != "db" {
		t.Errorf("node a lists secrets %q, want only db", got)
	}
	if got := strings.Join(names("/api/v1/nodes"), ","); got != "a,b" {
		t.Errorf("node a lists nodes %q, want a,b (the pod network routes to every node)", got)
	}
}

func podWithStatus(st *store.Store, t *testing.T, name string) *corev1.Pod {
	o, err := st.Get(objects.Key{Kind: "Pod", Namespace: "shop", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	p := o.(*corev1.Pod)
	p.Status.Phase = corev1.PodRunning
	return p
}

// peopleSyncer is a Syncer with rollbacks, for the deployer's routes.
type peopleSyncer struct{ triggered, rolledBack, resumed int }

func (p *peopleSyncer) Trigger(string) error                       { p.triggered++; return nil }
func (p *peopleSyncer) Statuses() ([]apitypes.SourceStatus, error) { return nil, nil }
func (p *peopleSyncer) History(string) (string, []reconcile.HistoryEntry, error) {
	return "apps", nil, nil
}
func (p *peopleSyncer) Rollback(context.Context, string, string) (reconcile.SourceStatus, error) {
	p.rolledBack++
	return reconcile.SourceStatus{Name: "apps"}, nil
}
func (p *peopleSyncer) Resume(string) error { p.resumed++; return nil }

// TestPeopleRoles: a viewer reads without Secret values; a deployer also
// syncs, rolls back and resumes, but neither reveals nor replaces.
func TestPeopleRoles(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	objects.SetTypeMeta(d, "Deployment")
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(d) }); err != nil {
		t.Fatal(err)
	}
	ca := newTestCA(t)
	sy := &peopleSyncer{}
	hs := tlsServer(t, &Server{Store: st, Syncer: sy, Token: "admin-token"}, ca)
	vc, _ := ca.user(t, "victor", "viewer")
	dc, _ := ca.user(t, "dora", "deployer")
	viewer, deployer := clientFor(hs, &vc), clientFor(hs, &dc)

	expect(t, "viewer reveals a Secret", call(t, viewer, hs.URL, "GET", "/api/v1/secrets/db?namespace=shop&reveal=true", nil), 403,
		`viewer "victor" cannot get resource "secrets" with Secret values (reveal=true) in namespace "shop": a viewer never sees Secret values`)
	ans := call(t, viewer, hs.URL, "GET", "/api/v1/secrets/db?namespace=shop", nil)
	expect(t, "viewer gets a Secret masked", ans, 200, "")
	if strings.Contains(string(ans.body), "value-of-db") || strings.Contains(string(ans.body), "dmFsdWUtb2YtZGI") {
		t.Fatalf("a viewer got a Secret value: %s", ans.body)
	}
	expect(t, "viewer syncs", call(t, viewer, hs.URL, "POST", "/api/v1/sync", nil), 403, "a viewer only reads")
	expect(t, "viewer diffs Secrets", call(t, viewer, hs.URL, "POST", "/api/v1/diff/secrets", map[string]any{"secrets": []any{}}), 403, "a viewer only reads")
	expect(t, "viewer lists pods", call(t, viewer, hs.URL, "GET", "/api/v1/pods", nil), 200, "")

	expect(t, "deployer syncs", call(t, deployer, hs.URL, "POST", "/api/v1/sync", nil), 202, "")
	expect(t, "deployer rolls back", call(t, deployer, hs.URL, "POST", "/api/v1/rollback?commit=abc", nil), 200, "")
	expect(t, "deployer resumes", call(t, deployer, hs.URL, "POST", "/api/v1/resume", nil), 202, "")
	expect(t, "deployer reads history", call(t, deployer, hs.URL, "GET", "/api/v1/history", nil), 200, "")
	expect(t, "deployer diffs Secrets", call(t, deployer, hs.URL, "POST", "/api/v1/diff/secrets", map[string]any{"secrets": []any{}}), 200, "")
	if sy.triggered != 1 || sy.rolledBack != 1 || sy.resumed != 1 {
		t.Fatalf("syncer saw %+v, want one sync, one rollback, one resume", sy)
	}
	expect(t, "deployer reveals", call(t, deployer, hs.URL, "GET", "/api/v1/secrets/db?namespace=shop&reveal=true", nil), 403, "a deployer never sees Secret values")
	expect(t, "deployer replaces a Deployment", call(t, deployer, hs.URL, "PUT", "/api/v1/deployments/web?namespace=shop", d), 403,
		`deployer "dora" cannot update resource "deployments" in namespace "shop"`)
	expect(t, "deployer heartbeats a node", call(t, deployer, hs.URL, "POST", "/api/v1/nodes/a/heartbeat", nil), 403, "cannot update resource \"nodes/heartbeat\"")

	// The admin token still does everything, over TLS without a certificate.
	admin := clientFor(hs, nil)
	expect(t, "admin token reveals", call(t, admin, hs.URL, "GET", "/api/v1/secrets/db?namespace=shop&reveal=true", nil, "Authorization", "Bearer admin-token"), 200, "")
	expect(t, "no credentials", call(t, admin, hs.URL, "GET", "/api/v1/pods", nil), 401, "no credentials")
	expect(t, "wrong token", call(t, admin, hs.URL, "GET", "/api/v1/pods", nil, "Authorization", "Bearer nope"), 401, "wrong bearer token")
	expect(t, "healthz needs nothing", call(t, admin, hs.URL, "GET", "/healthz", nil), 200, "")
	oc, _ := ca.user(t, "mallory", "root")
	expect(t, "a certificate without a role", call(t, clientFor(hs, &oc), hs.URL, "GET", "/api/v1/pods", nil), 401, "carries no role")
	cc, _ := ca.issue(t, pki.Request{Subject: pki.ControllerSubject(), Usage: pki.ClientAuth})
	expect(t, "the controller's own certificate", call(t, clientFor(hs, &cc), hs.URL, "GET", "/api/v1/pods", nil), 401, "agents' log servers")
}

// TestRevokedCertificate: a revoked serial is refused at once, 401.
func TestRevokedCertificate(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	ca := newTestCA(t)
	certA, serialA := ca.node(t, "a")
	certB, _ := ca.node(t, "b")
	revoked := map[string]bool{serialA.String(): true}
	hs := tlsServer(t, &Server{Store: st, Token: "admin-token", Revoked: func(s *big.Int) bool { return revoked[s.String()] }}, ca)
	expect(t, "revoked node a", call(t, clientFor(hs, &certA), hs.URL, "POST", "/api/v1/nodes/a/heartbeat", nil), 401,
		"certificate revoked: the node was deleted; join it again with a new token")
	expect(t, "node b", call(t, clientFor(hs, &certB), hs.URL, "POST", "/api/v1/nodes/b/heartbeat", nil), 200, "")
}

// TestNodeWatchIsFiltered: a node's watch of every kind, Secret values
// asked, delivers its own pods, Nodes, Services and the Secrets its pods
// reference, and never another node's pod, an unreferenced Secret or a
// Deployment.
func TestNodeWatchIsFiltered(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	ca := newTestCA(t)
	hs := tlsServer(t, &Server{Store: st, Token: "admin-token"}, ca)
	certA, _ := ca.node(t, "a")
	req, _ := http.NewRequest("GET", hs.URL+"/api/v1/watch?resourceVersion=0&reveal=true", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := clientFor(hs, &certA).Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("watch: %s", resp.Status)
	}

	// Changes after the watch started, the sentinel Service last.
	mine, theirs := pod("mine", "a"), pod("theirs", "b")
	mine.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "mine-secret"}}}}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "d"}}
	objects.SetTypeMeta(d, "Deployment")
	end := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "the-end"}}
	objects.SetTypeMeta(end, "Service")
	for _, o := range []objects.Object{mine, theirs, testSecret("default", "mine-secret"), testSecret("default", "theirs-secret"), d, end} {
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(o) }); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for !seen["Service/default/the-end"] && sc.Scan() {
		var ev apitypes.WatchEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		seen[objects.KeyOf(ev.Object).String()] = true
		if s, ok := ev.Object.(*corev1.Secret); ok && s.Name == "mine-secret" && string(s.Data["pw"]) != "value-of-mine-secret" {
			t.Errorf("the referenced Secret came without its value: %+v", s.Data)
		}
	}
	if !seen["Service/default/the-end"] {
		t.Fatalf("the watch ended before the last event: %v", sc.Err())
	}
	for _, k := range []string{"Pod/default/mine", "Secret/default/mine-secret"} {
		if !seen[k] {
			t.Errorf("node a's watch missed %s (saw %v)", k, seen)
		}
	}
	for _, k := range []string{"Pod/default/theirs", "Secret/default/theirs-secret", "Deployment/default/d", "Pod/shop/other", "Secret/shop/other-db", "Secret/shop/unreferenced", "ConfigMap/shop/other"} {
		if seen[k] {
			t.Errorf("node a's watch delivered %s", k)
		}
	}
}

// TestEveryRouteIsInTheTable: every route the server registers is hit by
// a request of reconcile/authz's route table (testdata/routes.txt, whose
// decisions for every role are in routes.golden): a new route gets its
// rules decided, not inherited by accident.
func TestEveryRouteIsInTheTable(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	pat := regexp.MustCompile(`HandleFunc\("([A-Z]+ /[^"]*)"`)
	mux := http.NewServeMux()
	routes := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pat.FindAllStringSubmatch(string(src), -1) {
			routes[m[1]] = false
			mux.HandleFunc(m[1], func(http.ResponseWriter, *http.Request) {})
		}
	}
	if len(routes) < 20 {
		t.Fatalf("found only %d routes in the package's sources: %v", len(routes), routes)
	}
	table, err := os.ReadFile("../authz/testdata/routes.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(table), "\n") {
		method, target, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || strings.HasPrefix(method, "#") {
			continue
		}
		req, err := http.NewRequest(method, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, p := mux.Handler(req); p != "" {
			routes[p] = true
		}
	}
	for r, hit := range routes {
		if !hit {
			t.Errorf("route %q is in no request of reconcile/authz/testdata/routes.txt: add one and decide its rules (go test ./reconcile/authz -run TestRoutesByRole -update)", r)
		}
	}
}

// TestNodeRegistrationRestriction: a node re-registering keeps the taints
// and cordon others set on its Node (Kubernetes' NodeRestriction: kubelets
// may not modify taints) and may not choose its podCIDR.
func TestNodeRegistrationRestriction(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	ca := newTestCA(t)
	hs := tlsServer(t, &Server{Store: st, Token: "admin-token"}, ca)
	certA, _ := ca.node(t, "a")
	a := clientFor(hs, &certA)
	expect(t, "first registration", call(t, a, hs.URL, "POST", "/api/v1/nodes", testNode("a")), 200, "")
	taint := corev1.Taint{Key: "node.kubernetes.io/unschedulable", Effect: corev1.TaintEffectNoSchedule}
	if err := st.Update(func(tx *store.Tx) error {
		o, err := tx.Get(objects.Key{Kind: "Node", Name: "a"})
		if err != nil {
			return err
		}
		n := o.(*corev1.Node)
		n.Spec.Unschedulable, n.Spec.Taints = true, []corev1.Taint{taint}
		return tx.Update(n)
	}); err != nil {
		t.Fatal(err)
	}
	expect(t, "re-registration", call(t, a, hs.URL, "POST", "/api/v1/nodes", testNode("a")), 200, "")
	o, err := st.Get(objects.Key{Kind: "Node", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if n := o.(*corev1.Node); !n.Spec.Unschedulable || len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != taint.Key {
		t.Fatalf("node a lifted its own cordon or taints by registering: %+v", n.Spec)
	}
	withCIDR := testNode("a")
	withCIDR.Spec.PodCIDR = "10.244.200.0/24"
	expect(t, "registration choosing a podCIDR", call(t, a, hs.URL, "POST", "/api/v1/nodes", withCIDR), 403, "may not set spec.podCIDR")
}

// TestForgedAdoptionRevealsNothing: a node that reports a made-up pod
// for adoption, bound to itself and referencing a Secret, does not get
// to read that Secret (the pod has no controller whose template
// references it).
func TestForgedAdoptionRevealsNothing(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	ca := newTestCA(t)
	hs := tlsServer(t, &Server{Store: st, Token: "admin-token"}, ca)
	certA, _ := ca.node(t, "a")
	a := clientFor(hs, &certA)
	forged := pod("forged", "a")
	forged.Namespace, forged.UID = "shop", "uid-forged"
	forged.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "unreferenced"}}}}
	forged.Annotations = map[string]string{objects.AnnotationAdoptedFromNode: ""} // the server sets it whatever the body says
	expect(t, "adopting a made-up pod", call(t, a, hs.URL, "POST", "/api/v1/pods/adopt", forged), 200, "")
	o, err := st.Get(objects.KeyOf(forged))
	if err != nil {
		t.Fatal(err)
	}
	if o.GetAnnotations()[objects.AnnotationAdoptedFromNode] != "a" {
		t.Fatalf("adopted pod annotations %v, want %s=a", o.GetAnnotations(), objects.AnnotationAdoptedFromNode)
	}
	expect(t, "the Secret the forged pod references", call(t, a, hs.URL, "GET", "/api/v1/secrets/unreferenced?namespace=shop&reveal=true", nil), 403,
		"no pod bound to node a references secret shop/unreferenced")
	forged.Spec.NodeName = "b"
	forged.Name, forged.UID = "forged-b", "uid-forged-b"
	expect(t, "adopting a pod of node b", call(t, a, hs.URL, "POST", "/api/v1/pods/adopt", forged), 403, "may adopt only pods bound to it")
}
