package podmetrics

import (
	"bytes"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestTopTables(t *testing.T) {
	s := New()
	s.Report(NodeReport{Node: "a", Pods: []PodMetrics{pod("shop", "web-1", 250, 64<<20), pod("kube", "dns", 5, 20<<20)}})
	var b bytes.Buffer
	if err := WriteTopPods(&b, s.Pods("shop"), false); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	if err := WriteTopPods(&b, s.Pods(""), true); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	node := func(name string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}}}
	}
	if err := WriteTopNodes(&b, s.Nodes(), []*corev1.Node{node("a"), node("b")}); err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, filepath.Join("testdata", "top.golden"), b.Bytes())
}
