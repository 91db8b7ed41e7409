package podmetrics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pod(ns, name string, milli, mem int64) PodMetrics {
	return PodMetrics{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Window:     metav1.Duration{Duration: 15 * time.Second},
		Containers: []ContainerMetrics{{Name: "app", Usage: Usage(milli*1e6, mem)}}}
}

func TestStoreReplacesByNodeAndExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Store{Now: func() time.Time { return now }}
	s.Report(NodeReport{Node: "a", Pods: []PodMetrics{pod("shop", "web-1", 200, 1<<20), pod("kube", "dns", 5, 1<<20)}})
	s.Report(NodeReport{Node: "b", Pods: []PodMetrics{pod("shop", "web-2", 300, 2<<20)}})
	if got := names(s.Pods("shop")); got != "shop/web-1 shop/web-2" {
		t.Fatalf("Pods(shop) = %s", got)
	}
	if got := names(s.Pods("")); got != "kube/dns shop/web-1 shop/web-2" {
		t.Fatalf("Pods() = %s", got)
	}
	// a node's new report replaces its old one: web-1 is gone
	s.Report(NodeReport{Node: "a", Pods: []PodMetrics{pod("kube", "dns", 5, 1<<20)}})
	if got := names(s.Pods("")); got != "kube/dns shop/web-2" {
		t.Fatalf("after a's second report: %s", got)
	}
	nodes := s.Nodes()
	if len(nodes) != 2 || nodes[1].Name != "b" || CPU(nodes[1].Usage) != 300 || Memory(nodes[1].Usage) != 2<<20 {
		t.Fatalf("Nodes() = %+v", nodes)
	}
	now = now.Add(DefaultMaxAge + time.Second)
	if got := s.Pods(""); len(got) != 0 {
		t.Fatalf("reports older than MaxAge still served: %v", names(got))
	}
}

func TestMetricsJSONIsKubernetes(t *testing.T) {
	s := New()
	s.Report(NodeReport{Node: "a", Pods: []PodMetrics{pod("shop", "web", 250, 64<<20)}})
	b, err := json.Marshal(PodList(s.Pods("shop")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"PodMetricsList"`, `"apiVersion":"metrics.k8s.io/v1beta1"`, `"kind":"PodMetrics"`,
		`"cpu":"250m"`, `"memory":"64Mi"`, `"window":"15s"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}

func names(pods []PodMetrics) string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return strings.Join(out, " ")
}
