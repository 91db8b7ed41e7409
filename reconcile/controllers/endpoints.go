package controllers

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// DesiredEndpoints returns the Endpoints of svc given the pods of its
// namespace, as Kubernetes' endpoints controller builds them, or nil when
// the Service has no selector (its Endpoints are not managed).
//
// A pod is an endpoint when it matches the selector, has an IP, has not
// finished (Succeeded/Failed) and is not terminating: a pod with a
// deletionTimestamp leaves at once. Graceful deletion and the endpoints
// step react to the same store event (the deletionTimestamp being set);
// the agent only sends SIGTERM after it has seen that event, while this
// step removes the pod in its very next pass, so in practice the rules
// stop sending new connections before the pod is told to stop — the same
// (racy but fast) ordering as Kubernetes. Ready pods go to addresses, the
// others to notReadyAddresses (publishNotReadyAddresses puts every one
// in addresses). Each service port's targetPort is resolved per pod: a
// number as is, a name by the pod's container port of that name (a pod
// without it is no endpoint for that port). Pods with the same resolved
// ports share a subset; everything is sorted, so equal input gives equal
// output.
func DesiredEndpoints(svc *corev1.Service, pods []*corev1.Pod) *corev1.Endpoints {
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	type group struct {
		ports           []corev1.EndpointPort
		ready, notReady []corev1.EndpointAddress
	}
	groups := map[string]*group{}
	for _, p := range pods {
		if p.Namespace != svc.Namespace || !sel.Matches(labels.Set(p.Labels)) || !servable(p) {
			continue
		}
		ports := resolvePorts(svc, p)
		if len(ports) == 0 {
			continue
		}
		key := portsKey(ports)
		g := groups[key]
		if g == nil {
			g = &group{ports: ports}
			groups[key] = g
		}
		addr := corev1.EndpointAddress{IP: p.Status.PodIP,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		if p.Spec.NodeName != "" {
			node := p.Spec.NodeName
			addr.NodeName = &node
		}
		if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name {
			addr.Hostname = p.Spec.Hostname
		}
		if objects.PodReady(p) || svc.Spec.PublishNotReadyAddresses {
			g.ready = append(g.ready, addr)
		} else {
			g.notReady = append(g.notReady, addr)
		}
	}
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: svc.Labels}}
	objects.SetTypeMeta(ep, "Endpoints")
	keys := slices.Sorted(maps.Keys(groups))
	byIP := func(a, b corev1.EndpointAddress) int {
		x, errX := netip.ParseAddr(a.IP)
		y, errY := netip.ParseAddr(b.IP)
		if errX != nil || errY != nil {
			return strings.Compare(a.IP, b.IP)
		}
		return x.Compare(y)
	}
	for _, k := range keys {
		g := groups[k]
		slices.SortFunc(g.ready, byIP)
		slices.SortFunc(g.notReady, byIP)
		ep.Subsets = append(ep.Subsets, corev1.EndpointSubset{Addresses: g.ready, NotReadyAddresses: g.notReady, Ports: g.ports})
	}
	return ep
}

// servable: has an address and may still serve.
func servable(p *corev1.Pod) bool {
	return p.Status.PodIP != "" && p.DeletionTimestamp == nil &&
		p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

// resolvePorts maps the service's ports to the pod's: targetPort by
// number, or by container port name; empty targetPort means port.
func resolvePorts(svc *corev1.Service, p *corev1.Pod) []corev1.EndpointPort {
	var out []corev1.EndpointPort
	for _, sp := range svc.Spec.Ports {
		proto := sp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		var port int32
		switch {
		case sp.TargetPort.StrVal != "":
			port = namedPort(p, sp.TargetPort.StrVal, proto)
		case sp.TargetPort.IntVal != 0:
			port = sp.TargetPort.IntVal
		default:
			port = sp.Port
		}
		if port == 0 {
			continue
		}
		out = append(out, corev1.EndpointPort{Name: sp.Name, Port: port, Protocol: proto, AppProtocol: sp.AppProtocol})
	}
	return out
}

func namedPort(p *corev1.Pod, name string, proto corev1.Protocol) int32 {
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			cpProto := cp.Protocol
			if cpProto == "" {
				cpProto = corev1.ProtocolTCP
			}
			if cp.Name == name && cpProto == proto {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

func portsKey(ports []corev1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&b, "%s/%s/%d,", p.Name, p.Protocol, p.Port)
	}
	return b.String()
}

// ReconcileEndpoints compares the desired Endpoints of svc (nil svc: the
// Service is gone) with the stored ones and returns the writes.
func ReconcileEndpoints(svc *corev1.Service, stored *corev1.Endpoints, pods []*corev1.Pod) Changes {
	var want *corev1.Endpoints
	if svc != nil {
		want = DesiredEndpoints(svc, pods)
	}
	switch {
	case want == nil && stored == nil:
		return Changes{}
	case want == nil:
		return Changes{Delete: []objects.Object{stored}}
	case stored == nil:
		return Changes{Create: []objects.Object{want}}
	}
	if equality.Semantic.DeepEqual(want.Subsets, stored.Subsets) && maps.Equal(want.Labels, stored.Labels) {
		return Changes{}
	}
	next := stored.DeepCopy()
	next.Subsets, next.Labels = want.Subsets, want.Labels
	return Changes{Update: []objects.Object{next}}
}
