package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func ingressNode(name string, ready corev1.ConditionStatus, addrs ...corev1.NodeAddress) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: addrs,
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
}

func TestReconcileIngressStatus(t *testing.T) {
	internal := func(ip string) corev1.NodeAddress {
		return corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip}
	}
	external := func(ip string) corev1.NodeAddress {
		return corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: ip}
	}
	nodes := []*corev1.Node{
		ingressNode("b", corev1.ConditionTrue, internal("10.0.0.2")),
		ingressNode("a", corev1.ConditionTrue, internal("10.0.0.1"), external("203.0.113.1")),
		ingressNode("down", corev1.ConditionUnknown, internal("10.0.0.3")),
	}
	classes := []*networkingv1.IngressClass{{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}}}
	ours := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}}
	theirs := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "default"}, Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx")}}

	ch := ReconcileIngressStatus(ours, classes, nodes)
	if len(ch.UpdateStatus) != 1 {
		t.Fatalf("served Ingress: %d status updates, want 1", len(ch.UpdateStatus))
	}
	got := ch.UpdateStatus[0].(*networkingv1.Ingress).Status.LoadBalancer.Ingress
	if len(got) != 2 || got[0].IP != "10.0.0.2" || got[1].IP != "203.0.113.1" {
		t.Errorf("addresses %+v, want the Ready nodes' 10.0.0.2 and 203.0.113.1 (ExternalIP before InternalIP)", got)
	}
	if again := ReconcileIngressStatus(ch.UpdateStatus[0].(*networkingv1.Ingress), classes, nodes); !again.Empty() {
		t.Errorf("a second pass changes %+v, want nothing", again)
	}
	if ch := ReconcileIngressStatus(theirs, classes, nodes); !ch.Empty() {
		t.Errorf("another class's Ingress got %+v, want no change (its controller fills its status)", ch)
	}
}
