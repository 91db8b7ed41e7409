package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func tableNode(name string, ready corev1.ConditionStatus, mods ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	objects.SetTypeMeta(n, "Node")
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("110")}
	n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: "v0.0.0-20261207053358-8b26c60e1a2f", ContainerRuntimeVersion: "podman://4.3.1"}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.2"}, {Type: corev1.NodeHostName, Address: name}}
	n.Spec.PodCIDR = "10.244.1.0/24"
	for _, m := range mods {
		m(n)
	}
	return n
}

func TestNodeTable(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	nodes := []*corev1.Node{
		tableNode("node-a", corev1.ConditionTrue, func(n *corev1.Node) {
			n.Annotations = map[string]string{objects.AnnotationCertificateNotAfter: "2027-12-07T06:00:00Z"}
			n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.7"})
		}),
		tableNode("node-b", corev1.ConditionTrue, func(n *corev1.Node) {
			n.Spec.Unschedulable = true
			n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}}
			n.Annotations = map[string]string{objects.AnnotationCertificateNotAfter: "2026-12-01T00:00:00Z"}
		}),
		tableNode("node-c", corev1.ConditionUnknown, func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule}, {Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}}
			n.Annotations = map[string]string{objects.AnnotationCertificateNotAfter: "next tuesday"}
		}),
	}
	var buf bytes.Buffer
	for _, wide := range []bool{false, true} {
		var rows [][]string
		for _, n := range nodes {
			h, c := nodeRow(n, wide, "5m", now)
			if len(rows) == 0 {
				rows = append(rows, h)
			}
			rows = append(rows, c)
		}
		for _, r := range rows {
			buf.WriteString(strings.Join(r, " | ") + "\n")
		}
		buf.WriteString("\n")
	}
	var d bytes.Buffer
	if err := describe(&d, nodes[2], nil, now); err != nil {
		t.Fatal(err)
	}
	testkit.GoldenString(t, "testdata/node-table.golden", buf.String()+d.String())
}
