package ingressclass

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func class(name, controller string, isDefault bool) *networkingv1.IngressClass {
	c := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: networkingv1.IngressClassSpec{Controller: controller}}
	if isDefault {
		c.Annotations = map[string]string{AnnotationDefault: "true"}
	}
	return c
}

func TestServed(t *testing.T) {
	mine, nginx := class("reconcile", Controller, false), class("nginx", "k8s.io/ingress-nginx", false)
	named := func(n string) *networkingv1.Ingress {
		return &networkingv1.Ingress{Spec: networkingv1.IngressSpec{IngressClassName: ptr.To(n)}}
	}
	legacy := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{AnnotationLegacy: "reconcile"}}}
	none := &networkingv1.Ingress{}
	for _, tc := range []struct {
		name    string
		ing     *networkingv1.Ingress
		classes []*networkingv1.IngressClass
		want    bool
	}{
		{"our class", named("reconcile"), []*networkingv1.IngressClass{mine, nginx}, true},
		{"another controller's class", named("nginx"), []*networkingv1.IngressClass{mine, nginx}, false},
		{"a class that does not exist", named("nginx-example"), []*networkingv1.IngressClass{mine}, false},
		{"legacy annotation", legacy, []*networkingv1.IngressClass{mine}, true},
		{"no class, no classes at all", none, nil, true},
		{"no class, no default class", none, []*networkingv1.IngressClass{mine, nginx}, true},
		{"no class, our class is the default", none, []*networkingv1.IngressClass{class("r", Controller, true), nginx}, true},
		{"no class, another default", none, []*networkingv1.IngressClass{mine, class("n", "k8s.io/ingress-nginx", true)}, false},
	} {
		if got := Served(tc.ing, tc.classes); got != tc.want {
			t.Errorf("%s: Served = %v, want %v", tc.name, got, tc.want)
		}
	}
}
