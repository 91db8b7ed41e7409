package agent

import (
	"context"
	"reflect"
	"testing"

	"github.com/containers/podman/v5/pkg/specgen"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodDNSConfig(t *testing.T) {
	five, two := "5", "2"
	cluster := &PodDNS{Server: "10.244.1.1"}
	tests := []struct {
		name                string
		spec                corev1.PodSpec
		dns                 *PodDNS
		node                *NodeResolver
		servers, search, op []string
	}{
		{name: "ClusterFirst by default", dns: cluster, servers: []string{"10.244.1.1"},
			search: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local"}, op: []string{"ndots:5"}},
		{name: "another cluster domain", dns: &PodDNS{Server: "10.244.1.1", ClusterDomain: "corp.internal."}, servers: []string{"10.244.1.1"},
			search: []string{"shop.svc.corp.internal", "svc.corp.internal", "corp.internal"}, op: []string{"ndots:5"}},
		{name: "no cluster DNS: the host's", dns: nil},
		{name: "Default: the host's", spec: corev1.PodSpec{DNSPolicy: corev1.DNSDefault}, dns: cluster},
		{name: "dnsConfig merges into ClusterFirst", dns: cluster,
			spec: corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.244.9.9"}, Searches: []string{"corp.example"},
				Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &two}, {Name: "edns0"}}}},
			servers: []string{"10.244.1.1", "10.244.9.9"},
			search:  []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"}, op: []string{"ndots:2", "edns0"}},
		{name: "hostNetwork: ClusterFirst (the default) means Default", dns: cluster, spec: corev1.PodSpec{HostNetwork: true}},
		{name: "hostNetwork: ClusterFirst said means Default", dns: cluster, spec: corev1.PodSpec{HostNetwork: true, DNSPolicy: corev1.DNSClusterFirst}},
		{name: "hostNetwork: ClusterFirstWithHostNet gets the cluster DNS", dns: cluster,
			spec:    corev1.PodSpec{HostNetwork: true, DNSPolicy: corev1.DNSClusterFirstWithHostNet},
			servers: []string{"10.244.1.1"}, search: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local"}, op: []string{"ndots:5"}},
		{name: "ClusterFirstWithHostNet off the host's network is ClusterFirst", dns: cluster,
			spec:    corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirstWithHostNet},
			servers: []string{"10.244.1.1"}, search: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local"}, op: []string{"ndots:5"}},
		{name: "Default merges dnsConfig into the node's resolver", dns: cluster, node: &NodeResolver{Servers: []string{"10.0.0.53"}, Searches: []string{"corp.example"}},
			spec: corev1.PodSpec{DNSPolicy: corev1.DNSDefault, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.53", "10.244.9.9"}, Searches: []string{"lab.example"},
				Options: []corev1.PodDNSConfigOption{{Name: "edns0"}}}},
			servers: []string{"10.0.0.53", "10.244.9.9"}, search: []string{"corp.example", "lab.example"}, op: []string{"edns0"}},
		{name: "None: only dnsConfig, not the node's", dns: cluster, node: &NodeResolver{Servers: []string{"10.0.0.53"}},
			spec:    corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.244.9.9"}}},
			servers: []string{"10.244.9.9"}},
		{name: "None: only dnsConfig", dns: cluster,
			spec: corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.244.9.9"},
				Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &five}}}},
			servers: []string{"10.244.9.9"}, op: []string{"ndots:5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "p"}, Spec: tc.spec}
			s, se, o := podDNSConfig(pod, tc.dns, tc.node)
			if !reflect.DeepEqual(s, tc.servers) || !reflect.DeepEqual(se, tc.search) || !reflect.DeepEqual(o, tc.op) {
				t.Fatalf("podDNSConfig = %v %v %v; want %v %v %v", s, se, o, tc.servers, tc.search, tc.op)
			}
		})
	}
}

func TestPodNetworkSpec(t *testing.T) {
	var ps specgen.PodSpecGenerator
	podNetworkSpec(&ps, PodConfig{Network: "reconcile", DNSServers: []string{"10.244.1.1"}, DNSSearch: []string{"default.svc.cluster.local"}, DNSOptions: []string{"ndots:5"}})
	if ps.NetNS.NSMode != specgen.Bridge || len(ps.Networks) != 1 || ps.DNSServer[0].String() != "10.244.1.1" || ps.DNSOption[0] != "ndots:5" {
		t.Fatalf("spec: netns %v networks %v dns %v %v %v", ps.NetNS, ps.Networks, ps.DNSServer, ps.DNSSearch, ps.DNSOption)
	}
	var plain specgen.PodSpecGenerator
	podNetworkSpec(&plain, PodConfig{})
	if plain.NetNS.NSMode != "" || plain.Networks != nil || plain.DNSServer != nil {
		t.Fatalf("no network configured must leave Podman's defaults: %+v", plain.PodNetworkConfig)
	}
}

// TestServiceVariables: service variables come first, the container's own
// env wins and may refer to them; enableServiceLinks: false leaves them out;
// the hook is asked once per namespace and sync.
func TestServiceVariables(t *testing.T) {
	calls := 0
	hook := func(_ context.Context, ns string) (map[string]string, error) {
		calls++
		return map[string]string{"WEB_SERVICE_HOST": "10.96.0.20", "WEB_SERVICE_PORT": "80", "NS": ns}, nil
	}
	oc := newObjectCache(nil)
	oc.serviceEnv = hook
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "p"}}
	c := &corev1.Container{Name: "c", Env: []corev1.EnvVar{
		{Name: "WEB_SERVICE_PORT", Value: "8080"},
		{Name: "URL", Value: "http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/"},
	}}
	env, err := containerEnv(context.Background(), oc, pod, c, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"WEB_SERVICE_HOST": "10.96.0.20", "WEB_SERVICE_PORT": "8080", "NS": "shop", "URL": "http://10.96.0.20:8080/"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("env = %v, want %v", env, want)
	}
	if _, err := containerEnv(context.Background(), oc, pod, c, "", ""); err != nil || calls != 1 {
		t.Fatalf("second container: err %v, hook called %d times, want once per sync", err, calls)
	}
	off := false
	pod.Spec.EnableServiceLinks = &off
	env, _ = containerEnv(context.Background(), oc, pod, &corev1.Container{Name: "c"}, "", "")
	if len(env) != 0 {
		t.Fatalf("enableServiceLinks: false still gets %v", env)
	}
}
