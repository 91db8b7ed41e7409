package ingress

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/ingressclass"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func svc(name string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.ServiceSpec{Ports: ports}}
}

func eps(name, port string, target int32, ips ...string) *corev1.Endpoints {
	ss := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Name: port, Port: target}}}
	for _, ip := range ips {
		ss.Addresses = append(ss.Addresses, corev1.EndpointAddress{IP: ip})
	}
	ss.NotReadyAddresses = []corev1.EndpointAddress{{IP: "10.88.9.9"}}
	return &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Subsets: []corev1.EndpointSubset{ss}}
}

type path struct {
	path, typ, svc string
	port           int32
}

func ing(name string, age int, class string, rules map[string][]path) *networkingv1.Ingress {
	in := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
		CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(age) * time.Minute))}}
	if class != "" {
		in.Spec.IngressClassName = ptr.To(class)
	}
	for _, host := range slices.Sorted(maps.Keys(rules)) {
		paths := rules[host]
		r := networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}
		for _, p := range paths {
			r.HTTP.Paths = append(r.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p.path, PathType: ptr.To(networkingv1.PathType(p.typ)),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: p.svc, Port: networkingv1.ServiceBackendPort{Number: p.port}}}})
		}
		in.Spec.Rules = append(in.Spec.Rules, r)
	}
	return in
}

func tlsSecret(t *testing.T, name string, hosts ...string) *corev1.Secret {
	c, k, err := SelfSigned(name, hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: c, corev1.TLSPrivateKeyKey: k}}
}

func baseSnapshot() Snapshot {
	return Snapshot{
		Classes: []*networkingv1.IngressClass{
			{ObjectMeta: metav1.ObjectMeta{Name: "reconcile"}, Spec: networkingv1.IngressClassSpec{Controller: ingressclass.Controller}},
			{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}},
		},
		Services: []*corev1.Service{
			svc("web", corev1.ServicePort{Port: 80}),
			svc("api", corev1.ServicePort{Name: "http", Port: 8080}, corev1.ServicePort{Name: "metrics", Port: 9090}),
			svc("empty", corev1.ServicePort{Port: 80}),
		},
		Endpoints: []*corev1.Endpoints{
			eps("web", "", 8080, "10.88.0.3", "10.88.0.2"),
			eps("api", "http", 8081, "10.88.0.4"),
		},
	}
}

func TestBuildGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Snapshot)
	}{
		{"hosts-and-paths", func(s *Snapshot) {
			s.Ingresses = []*networkingv1.Ingress{
				ing("shop", 0, "reconcile", map[string][]path{
					"shop.example.com": {{"/", "Prefix", "web", 80}, {"/api", "Prefix", "api", 8080}, {"/api/v1", "Exact", "api", 8080}},
					"*.example.com":    {{"/", "ImplementationSpecific", "web", 80}},
				}),
				ing("catch-all", 1, "", map[string][]path{"": {{"/status", "Exact", "web", 80}}}),
			}
		}},
		// An Ingress of another controller's class is stored but not served;
		// the older of two Ingresses with the same host and path wins.
		{"classes-and-conflicts", func(s *Snapshot) {
			s.Ingresses = []*networkingv1.Ingress{
				ing("newer", 5, "reconcile", map[string][]path{"a.example.com": {{"/", "Prefix", "api", 8080}}}),
				ing("older", 1, "reconcile", map[string][]path{"a.example.com": {{"/", "Prefix", "web", 80}}}),
				ing("nginx-one", 0, "nginx", map[string][]path{"b.example.com": {{"/", "Prefix", "web", 80}}}),
				ing("unknown-class", 0, "nginx-example", map[string][]path{"c.example.com": {{"/", "Prefix", "web", 80}}}),
			}
		}},
		{"backends-missing", func(s *Snapshot) {
			s.Ingresses = []*networkingv1.Ingress{ing("broken", 0, "reconcile", map[string][]path{"x.example.com": {
				{"/none", "Prefix", "nosuch", 80}, {"/noport", "Prefix", "web", 81}, {"/empty", "Prefix", "empty", 80}}})}
		}},
		{"default-backend-and-annotations", func(s *Snapshot) {
			d := ing("fallback", 0, "reconcile", map[string][]path{"d.example.com": {{"/app", "Prefix", "web", 80}}})
			d.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "api", Port: networkingv1.ServiceBackendPort{Name: "http"}}}
			d.Annotations = map[string]string{ingressclass.AnnotationReadTimeout: "120", ingressclass.AnnotationBodySize: "8m"}
			s.Ingresses = []*networkingv1.Ingress{d}
		}},
		{"tls", func(s *Snapshot) {
			a := ing("secure", 0, "reconcile", map[string][]path{"a.example.com": {{"/", "Prefix", "web", 80}}, "b.example.com": {{"/", "Prefix", "api", 8080}}})
			a.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"a.example.com", "*.wild.example.com"}, SecretName: "a-tls"},
				{SecretName: "b-tls"}, {Hosts: []string{"c.example.com"}, SecretName: "missing"}}
			s.Ingresses = []*networkingv1.Ingress{a}
			s.Secrets = []*corev1.Secret{tlsSecret(t, "a-tls", "a.example.com"), tlsSecret(t, "b-tls", "b.example.com")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := baseSnapshot()
			tc.edit(&s)
			testkit.GoldenString(t, filepath.Join("testdata", tc.name+".golden"), Build(s).String())
		})
	}
}

// TestMatch is Kubernetes' precedence on one table (the examples of the
// Ingress documentation's "Examples" table among them).
func TestMatch(t *testing.T) {
	s := baseSnapshot()
	s.Services = append(s.Services, svc("foo", corev1.ServicePort{Port: 80}), svc("bar", corev1.ServicePort{Port: 80}))
	s.Endpoints = append(s.Endpoints, eps("foo", "", 1, "10.0.0.1"), eps("bar", "", 1, "10.0.0.2"))
	s.Ingresses = []*networkingv1.Ingress{
		ing("a", 0, "", map[string][]path{
			"foo.com":   {{"/", "Prefix", "web", 80}, {"/aaa", "Prefix", "foo", 80}, {"/aaa/bbb/", "Prefix", "bar", 80}, {"/exact", "Exact", "foo", 80}, {"/exact", "Prefix", "bar", 80}},
			"*.foo.com": {{"/", "Prefix", "api", 8080}},
			"":          {{"/any", "Prefix", "foo", 80}},
		}),
	}
	table := Build(s)
	for _, tc := range []struct{ host, path, want string }{
		{"foo.com", "/", "default/web:80"},
		{"foo.com:8443", "/aaa", "default/foo:80"},
		{"FOO.com", "/aaa/", "default/foo:80"},
		{"foo.com", "/aaaa", "default/web:80"}, // /aaa does not match /aaaa
		{"foo.com", "/aaa/bbb", "default/bar:80"},
		{"foo.com", "/aaa/bbbxyz", "default/foo:80"},
		{"foo.com", "/aaa/bbb/ccc", "default/bar:80"},
		{"foo.com", "/exact", "default/foo:80"},  // Exact before Prefix at equal length
		{"foo.com", "/exact/", "default/bar:80"}, // Exact does not ignore the trailing slash
		{"bar.foo.com", "/x", "default/api:8080"},
		{"baz.bar.foo.com", "/any", "default/foo:80"}, // a wildcard covers one label only
		{"foo.com.", "/aaa", "default/foo:80"},
		{"other.org", "/any/thing", "default/foo:80"},
		{"other.org", "/", ""}, // no default backend: 404
	} {
		got := ""
		if b := table.Match(tc.host, tc.path); b != nil {
			got = b.Service
		}
		if got != tc.want {
			t.Errorf("Match(%q, %q) = %q, want %q", tc.host, tc.path, got, tc.want)
		}
	}
}

func TestPickTurnsRoundRobin(t *testing.T) {
	b := &Backend{Addrs: []string{"a", "b", "c"}}
	var got []string
	for range 4 {
		got = append(got, b.Pick(0))
	}
	if want := []string{"a", "b", "c", "a"}; !equal(got, want) {
		t.Errorf("first picks %v, want %v", got, want)
	}
	if b.Pick(1) != "b" || b.Pick(2) != "c" {
		t.Errorf("retries after a picks %q, %q; want the next addresses b, c", b.Pick(1), b.Pick(2))
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
