package discovery

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func endpoints(ns, name string, subsets ...corev1.EndpointSubset) *corev1.Endpoints {
	return &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Subsets: subsets}
}

// cluster is a small world: a ClusterIP service with two named ports, a
// headless service with two ready pods (one with a hostname) and one not
// ready, a headless service publishing not-ready pods, a service without
// an address yet.
func cluster() ([]*corev1.Service, []*corev1.Endpoints) {
	headless := service("shop", "db", "None", port("pg", 5432, "TCP"))
	publishing := service("shop", "peers", "None", port("gossip", 7946, "UDP"))
	publishing.Spec.PublishNotReadyAddresses = true
	svcs := []*corev1.Service{
		service("default", "web", "10.96.0.20", port("http", 80, "TCP"), port("metrics", 9090, "TCP")),
		service("default", "plain", "10.96.0.21", port("", 8080, "TCP")),
		service("default", "pending", ""),
		headless, publishing,
	}
	eps := []*corev1.Endpoints{
		endpoints("default", "web", corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{{IP: "10.244.0.5"}},
			Ports: []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: "TCP"}}}),
		endpoints("shop", "db", corev1.EndpointSubset{
			Addresses:         []corev1.EndpointAddress{{IP: "10.244.1.7", Hostname: "db-0"}, {IP: "10.244.0.9"}},
			NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.244.1.8", Hostname: "db-1"}},
			Ports:             []corev1.EndpointPort{{Name: "pg", Port: 5432, Protocol: "TCP"}}}),
		endpoints("shop", "peers", corev1.EndpointSubset{
			NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.244.2.3", Hostname: "peer-0"}},
			Ports:             []corev1.EndpointPort{{Name: "gossip", Port: 7946, Protocol: "UDP"}}}),
	}
	return svcs, eps
}

func TestAnswersGolden(t *testing.T) {
	svcs, eps := cluster()
	ix := BuildIndex("", svcs, eps)
	queries := []struct {
		name  string
		qtype uint16
	}{
		{"web.default.svc.cluster.local.", dns.TypeA},
		{"WEB.Default.svc.cluster.local.", dns.TypeA},
		{"web.default.svc.cluster.local.", dns.TypeAAAA},
		{"web.default.svc.cluster.local.", dns.TypeSRV},
		{"_http._tcp.web.default.svc.cluster.local.", dns.TypeSRV},
		{"_metrics._tcp.web.default.svc.cluster.local.", dns.TypeSRV},
		{"_http._udp.web.default.svc.cluster.local.", dns.TypeSRV},
		{"plain.default.svc.cluster.local.", dns.TypeA},
		{"pending.default.svc.cluster.local.", dns.TypeA},
		{"missing.default.svc.cluster.local.", dns.TypeA},
		{"default.svc.cluster.local.", dns.TypeA},
		{"cluster.local.", dns.TypeA},
		{"db.shop.svc.cluster.local.", dns.TypeA},
		{"db-0.db.shop.svc.cluster.local.", dns.TypeA},
		{"10-244-0-9.db.shop.svc.cluster.local.", dns.TypeA},
		{"db-1.db.shop.svc.cluster.local.", dns.TypeA},
		{"_pg._tcp.db.shop.svc.cluster.local.", dns.TypeSRV},
		{"peers.shop.svc.cluster.local.", dns.TypeA},
		{"_gossip._udp.peers.shop.svc.cluster.local.", dns.TypeSRV},
	}
	var b strings.Builder
	for _, q := range queries {
		req := new(dns.Msg)
		req.SetQuestion(q.name, q.qtype)
		m := Answer(ix, req)
		fmt.Fprintf(&b, "%s %s → %s aa=%v\n", q.name, dns.TypeToString[q.qtype], dns.RcodeToString[m.Rcode], m.Authoritative)
		for _, sec := range []struct {
			name string
			rrs  []dns.RR
		}{{"answer", m.Answer}, {"extra", m.Extra}, {"authority", m.Ns}} {
			for _, rr := range sec.rrs {
				fmt.Fprintf(&b, "  %-9s %s\n", sec.name, strings.ReplaceAll(rr.String(), "\t", " "))
			}
		}
	}
	testkit.GoldenString(t, "testdata/answers.golden", b.String())
}

func TestBuildIndexIsDeterministic(t *testing.T) {
	svcs, eps := cluster()
	a := BuildIndex("", svcs, eps)
	// Reversed input order gives the same records.
	for i, j := 0, len(svcs)-1; i < j; i, j = i+1, j-1 {
		svcs[i], svcs[j] = svcs[j], svcs[i]
	}
	b := BuildIndex("cluster.local.", svcs, eps)
	if fmt.Sprint(len(a.Names)) != fmt.Sprint(len(b.Names)) {
		t.Fatalf("names: %d vs %d", len(a.Names), len(b.Names))
	}
	for n, e := range a.Names {
		if fmt.Sprint(*e) != fmt.Sprint(*b.Names[n]) {
			t.Errorf("%s: %v vs %v", n, *e, b.Names[n])
		}
	}
}
