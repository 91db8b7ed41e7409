package discovery

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// world10k is 10,000 ClusterIP services with a named port and 100 headless
// ones with 2 ready pods each.
func world10k() ([]*corev1.Service, []*corev1.Endpoints) {
	var svcs []*corev1.Service
	var eps []*corev1.Endpoints
	for i := 0; i < 10000; i++ {
		svcs = append(svcs, service(fmt.Sprintf("ns%d", i%50), fmt.Sprintf("svc-%d", i),
			fmt.Sprintf("10.96.%d.%d", i/250, i%250+1), port("http", 80, "TCP")))
	}
	for i := 0; i < 100; i++ {
		svcs = append(svcs, service("db", fmt.Sprintf("headless-%d", i), "None", port("pg", 5432, "TCP")))
		eps = append(eps, endpoints("db", fmt.Sprintf("headless-%d", i), corev1.EndpointSubset{
			Addresses: []corev1.EndpointAddress{{IP: fmt.Sprintf("10.244.%d.2", i)}, {IP: fmt.Sprintf("10.244.%d.3", i), Hostname: "db-1"}},
			Ports:     []corev1.EndpointPort{{Name: "pg", Port: 5432, Protocol: "TCP"}}}))
	}
	return svcs, eps
}

// BenchmarkBuildIndex10k: rebuilding every record after a change.
func BenchmarkBuildIndex10k(b *testing.B) {
	svcs, eps := world10k()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		BuildIndex("", svcs, eps)
	}
}

// BenchmarkAnswer: one A query against the 10k index.
func BenchmarkAnswer(b *testing.B) {
	svcs, eps := world10k()
	ix := BuildIndex("", svcs, eps)
	req := new(dns.Msg)
	req.SetQuestion("svc-4242.ns42.svc.cluster.local.", dns.TypeA)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if m := Answer(ix, req); len(m.Answer) != 1 {
			b.Fatal(m)
		}
	}
}
