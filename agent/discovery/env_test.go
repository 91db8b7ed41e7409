package discovery

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func service(ns, name, clusterIP string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{ClusterIP: clusterIP, Ports: ports}}
}

func port(name string, p int32, proto corev1.Protocol) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: p, Protocol: proto}
}

func TestServiceEnv(t *testing.T) {
	tests := []struct {
		name     string
		services []*corev1.Service
		want     map[string]string
	}{
		{name: "one unnamed port", services: []*corev1.Service{service("default", "redis-primary", "10.96.0.11", port("", 6379, "TCP"))},
			want: map[string]string{
				"REDIS_PRIMARY_SERVICE_HOST":        "10.96.0.11",
				"REDIS_PRIMARY_SERVICE_PORT":        "6379",
				"REDIS_PRIMARY_PORT":                "tcp://10.96.0.11:6379",
				"REDIS_PRIMARY_PORT_6379_TCP":       "tcp://10.96.0.11:6379",
				"REDIS_PRIMARY_PORT_6379_TCP_PROTO": "tcp",
				"REDIS_PRIMARY_PORT_6379_TCP_PORT":  "6379",
				"REDIS_PRIMARY_PORT_6379_TCP_ADDR":  "10.96.0.11",
			}},
		{name: "named TCP and UDP ports", services: []*corev1.Service{service("default", "dns", "10.96.0.10", port("dns-tcp", 53, "TCP"), port("dns", 53, "UDP"))},
			want: map[string]string{
				"DNS_SERVICE_HOST":         "10.96.0.10",
				"DNS_SERVICE_PORT":         "53",
				"DNS_SERVICE_PORT_DNS_TCP": "53",
				"DNS_SERVICE_PORT_DNS":     "53",
				"DNS_PORT":                 "tcp://10.96.0.10:53",
				"DNS_PORT_53_TCP":          "tcp://10.96.0.10:53",
				"DNS_PORT_53_TCP_PROTO":    "tcp",
				"DNS_PORT_53_TCP_PORT":     "53",
				"DNS_PORT_53_TCP_ADDR":     "10.96.0.10",
				"DNS_PORT_53_UDP":          "udp://10.96.0.10:53",
				"DNS_PORT_53_UDP_PROTO":    "udp",
				"DNS_PORT_53_UDP_PORT":     "53",
				"DNS_PORT_53_UDP_ADDR":     "10.96.0.10",
			}},
		{name: "headless, unallocated, portless and other namespaces are left out", services: []*corev1.Service{
			service("default", "headless", "None", port("", 80, "TCP")),
			service("default", "new", "", port("", 80, "TCP")),
			service("default", "noports", "10.96.0.3"),
			service("other", "web", "10.96.0.4", port("", 80, "TCP")),
		}, want: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ServiceEnv(tc.services, "default"); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ServiceEnv =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}
