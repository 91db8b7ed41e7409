package schema

import (
	"fmt"
	"net"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	corev1 "k8s.io/api/core/v1"
)

// The host and DNS fields of a pod spec: the API server's defaulting and
// validation rules that relate several fields (Kubernetes'
// SetDefaults_PodSpec and ValidatePodSpec).

// hostNetworkDefaults is Kubernetes' defaultHostNetworkPorts: on the
// host's network a containerPort is the host's port, so hostPort defaults
// to it.
func hostNetworkDefaults(spec *corev1.PodSpec) {
	if !spec.HostNetwork {
		return
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			for j := range cs[i].Ports {
				if cs[i].Ports[j].HostPort == 0 {
					cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
				}
			}
		}
	}
}

// hostFieldChecks checks what Kubernetes checks of hostNetwork, host ports,
// hostAliases and dnsConfig, with its words.
func hostFieldChecks(spec *corev1.PodSpec, add func(string, ...string), p func(...string) []string) {
	seen := map[string]bool{}
	for _, list := range []struct {
		name string
		cs   []corev1.Container
	}{{"initContainers", spec.InitContainers}, {"containers", spec.Containers}} {
		for i, c := range list.cs {
			for j, port := range c.Ports {
				at := func(f string) []string { return p(list.name, fmt.Sprint(i), "ports", fmt.Sprint(j), f) }
				hostPort := port.HostPort
				if spec.HostNetwork && hostPort == 0 {
					hostPort = port.ContainerPort // defaulted after validation
				}
				if spec.HostNetwork && hostPort != port.ContainerPort {
					add(fmt.Sprintf("invalid value %d: must match `containerPort` when `hostNetwork` is true", port.HostPort), at("hostPort")...)
				}
				if port.HostIP != "" && net.ParseIP(port.HostIP) == nil {
					add(fmt.Sprintf("invalid value %q: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", port.HostIP), at("hostIP")...)
				}
				if hostPort == 0 {
					continue
				}
				proto := port.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				// Kubernetes' AccumulateUniqueHostPorts: one hostPort/protocol per
				// pod whatever the hostIP.
				key := fmt.Sprintf("%d/%s", hostPort, proto)
				if seen[key] {
					add(fmt.Sprintf("duplicate value %q: a host port may be used once in a pod", key), at("hostPort")...)
				}
				seen[key] = true
			}
		}
	}
	for i, a := range spec.HostAliases {
		if net.ParseIP(a.IP) == nil {
			add(fmt.Sprintf("invalid value %q: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", a.IP), p("hostAliases", fmt.Sprint(i), "ip")...)
		}
	}
	switch {
	case spec.DNSPolicy == corev1.DNSNone && spec.DNSConfig == nil:
		add("required value: must provide `dnsConfig` when `dnsPolicy` is `None`", p("dnsPolicy")...)
	case spec.DNSPolicy == corev1.DNSNone && len(spec.DNSConfig.Nameservers) == 0:
		add("required value: must provide at least one DNS nameserver when `dnsPolicy` is `None`", p("dnsConfig")...)
	}
	if dc := spec.DNSConfig; dc != nil {
		if len(dc.Nameservers) > 3 {
			add(fmt.Sprintf("too many: %d: must have at most 3 items", len(dc.Nameservers)), p("dnsConfig", "nameservers")...)
		}
		for i, ns := range dc.Nameservers {
			if net.ParseIP(ns) == nil {
				add(fmt.Sprintf("invalid value %q: must be a valid IP address", ns), p("dnsConfig", "nameservers", fmt.Sprint(i))...)
			}
		}
		for i, s := range dc.Searches {
			if len(validation.IsDNS1123Subdomain(strings.TrimSuffix(s, "."))) > 0 {
				add(fmt.Sprintf("invalid value %q: a search domain is a DNS-1123 subdomain: lowercase letters, digits, '-' and '.' (e.g. corp.example)", s), p("dnsConfig", "searches", fmt.Sprint(i))...)
			}
		}
		if len(dc.Searches) > 32 {
			add(fmt.Sprintf("too many: %d: must have at most 32 items", len(dc.Searches)), p("dnsConfig", "searches")...)
		}
	}
}
