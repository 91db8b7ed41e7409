package authz

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// graph is a fixed Graph: pods by node, and controllers.
type graph struct {
	pods      map[string][]*corev1.Pod
	owners    []objects.Object
	ingresses []*networkingv1.Ingress
}

func (g graph) Ingresses(ns string) ([]*networkingv1.Ingress, error) {
	var out []*networkingv1.Ingress
	for _, i := range g.ingresses {
		if i.Namespace == ns {
			out = append(out, i)
		}
	}
	return out, nil
}

func (g graph) Controller(ns string, ref metav1.OwnerReference) (objects.Object, error) {
	for _, o := range g.owners {
		if objects.KindOf(o) == ref.Kind && o.GetNamespace() == ns && o.GetName() == ref.Name && o.GetUID() == ref.UID {
			return o, nil
		}
	}
	return nil, nil
}

func (g graph) Pod(ns, name string) (*corev1.Pod, error) {
	for _, pods := range g.pods {
		for _, p := range pods {
			if p.Namespace == ns && p.Name == name {
				return p, nil
			}
		}
	}
	return nil, nil
}

func (g graph) PodsOn(node, ns string) ([]*corev1.Pod, error) {
	var out []*corev1.Pod
	for _, p := range g.pods[node] {
		if ns == "" || p.Namespace == ns {
			out = append(out, p)
		}
	}
	return out, nil
}

func testPod(ns, name, node string, spec corev1.PodSpec) *corev1.Pod {
	spec.NodeName = node
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

// testGraph: node a runs shop/web (env from secret db, a volume of
// configmap cfg, imagePullSecrets pull) and shop/proj (projected secret
// tls); node b runs shop/other (secret other-db); Ingress shop/site
// serves TLS with secret site-tls.
func testGraph() graph {
	web := testPod("shop", "web", "a", corev1.PodSpec{
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}},
		Volumes:          []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}},
		Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{{Name: "PW", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "pw"}}}}}},
	})
	proj := testPod("shop", "proj", "a", corev1.PodSpec{Volumes: []corev1.Volume{{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "tls"}}}}}}}}})
	other := testPod("shop", "other", "b", corev1.PodSpec{Containers: []corev1.Container{{Name: "c", EnvFrom: []corev1.EnvFromSource{
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "other-db"}}}}}}})
	site := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "site"},
		Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}, SecretName: "site-tls"}}}}
	return graph{pods: map[string][]*corev1.Pod{"a": {web, proj}, "b": {other}}, ingresses: []*networkingv1.Ingress{site}}
}

var testIdentities = []Identity{
	{Name: TokenUser, Role: RoleAdmin},
	{Name: "alice", Role: RoleDeployer},
	{Name: "victor", Role: RoleViewer},
	{Name: "prometheus", Role: RoleMetrics},
	{Name: "node:a", Role: RoleNode, Node: "a"},
}

// routeLines reads testdata/routes.txt: one "METHOD URL" a line.
func routeLines(t testing.TB) [][2]string {
	f, err := os.Open("testdata/routes.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		method, target, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("routes.txt: %q is not METHOD URL", line)
		}
		out = append(out, [2]string{method, target})
	}
	return out
}

// TestRoutesByRole decides every route of the API server for every role;
// testdata/routes.golden reads as the access table.
func TestRoutesByRole(t *testing.T) {
	g := testGraph()
	var b strings.Builder
	b.WriteString("# Who may do what: every route of the API server (reconcile/apiserver) for each role.\n" +
		"# Node a runs shop/web (env from secret db, a volume of configmap cfg, imagePullSecrets pull) and\n" +
		"# shop/proj (projected secret tls); node b runs shop/other (secret other-db).\n" +
		"# Under each request: its attributes (verb resource[/subresource] ns= name= reveal), then each role's decision.\n" +
		"# Allowed lists and watches of a node are filtered object by object (Visibility).\n\n")
	for _, rt := range routeLines(t) {
		u, err := url.Parse(rt[1])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "## %s %s\n", rt[0], rt[1])
		r := &http.Request{Method: rt[0], URL: u}
		if Exempt(r) {
			b.WriteString("exempt: no identity needed\n\n")
			continue
		}
		a, err := ParseRequest(rt[0], u)
		if err != nil {
			t.Fatalf("%s %s: %v", rt[0], rt[1], err)
		}
		fmt.Fprintf(&b, "%s\n", a)
		for _, id := range testIdentities {
			d, err := Authorize(id, a, g)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				fmt.Fprintf(&b, "  %-8s allow\n", id.Role)
			} else {
				fmt.Fprintf(&b, "  %-8s deny: %s\n", id.Role, d.Message)
			}
		}
		b.WriteString("\n")
	}
	testkit.GoldenString(t, "testdata/routes.golden", b.String())
}
