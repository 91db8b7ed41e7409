package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// ports gives the pod's container host ports, each "PROTO/IP/PORT" as in
// Kubernetes' node_ports_test.go.
func ports(specs ...string) podOpt {
	return func(p *corev1.Pod) {
		for _, s := range specs {
			f := strings.Split(s, "/")
			n, _ := strconv.Atoi(f[2])
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports,
				corev1.ContainerPort{Protocol: corev1.Protocol(f[0]), HostIP: f[1], HostPort: int32(n), ContainerPort: int32(n)})
		}
	}
}

// TestNodePorts runs the cases of Kubernetes' TestNodePorts: the pod
// against one node holding a pod with the existing ports.
func TestNodePorts(t *testing.T) {
	tests := []struct {
		name          string
		pod, existing []string
		fits          bool
	}{
		{name: "nothing running", fits: true},
		{name: "other port", pod: []string{"UDP/127.0.0.1/8080"}, existing: []string{"UDP/127.0.0.1/9090"}, fits: true},
		{name: "same udp port", pod: []string{"UDP/127.0.0.1/8080"}, existing: []string{"UDP/127.0.0.1/8080"}},
		{name: "same tcp port", pod: []string{"TCP/127.0.0.1/8080"}, existing: []string{"TCP/127.0.0.1/8080"}},
		{name: "different host ip", pod: []string{"TCP/127.0.0.1/8080"}, existing: []string{"TCP/127.0.0.2/8080"}, fits: true},
		{name: "different protocol", pod: []string{"UDP/127.0.0.1/8080"}, existing: []string{"TCP/127.0.0.1/8080"}, fits: true},
		{name: "second udp port conflict", pod: []string{"UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"}, existing: []string{"UDP/127.0.0.1/8080"}},
		{name: "first tcp port conflict", pod: []string{"TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"}, existing: []string{"TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"}},
		{name: "first tcp port conflict due to 0.0.0.0 hostIP", pod: []string{"TCP/0.0.0.0/8001"}, existing: []string{"TCP/127.0.0.1/8001"}},
		{name: "TCP hostPort conflict due to 0.0.0.0 hostIP", pod: []string{"TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"}, existing: []string{"TCP/127.0.0.1/8001"}},
		{name: "second tcp port conflict to 0.0.0.0 hostIP", pod: []string{"TCP/127.0.0.1/8001"}, existing: []string{"TCP/0.0.0.0/8001"}},
		{name: "second different protocol", pod: []string{"UDP/127.0.0.1/8001"}, existing: []string{"TCP/0.0.0.0/8001"}, fits: true},
		{name: "UDP hostPort conflict due to 0.0.0.0 hostIP", pod: []string{"UDP/127.0.0.1/8001"}, existing: []string{"TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"}},
		{name: "empty hostIP and protocol are 0.0.0.0 and TCP", pod: []string{"/127.0.0.1/8001"}, existing: []string{"TCP//8001"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := node("n1", "4", "4Gi", 110)
			bound := []*corev1.Pod{pod("existing", "", "", on("n1"), ports(tc.existing...))}
			pending := pod("p", "", "", ports(tc.pod...))
			reasons := NodePorts{}.Filter(newPodInfo(pending), newNodeInfos([]*corev1.Node{n}, bound)[0])
			if got := len(reasons) == 0; got != tc.fits {
				t.Fatalf("fits = %v (reasons %v), want %v", got, reasons, tc.fits)
			}
			if !tc.fits && (len(reasons) != 1 || reasons[0] != ReasonNodePorts) {
				t.Fatalf("reasons %v, want [%s]", reasons, ReasonNodePorts)
			}
		})
	}
}

// TestNodePortsWithinOneRound: two pending pods with the same host port
// and one node: the first placed takes it, the second stays pending with
// Kubernetes' message; a finished pod's port is free again; a second node
// takes the second pod.
func TestNodePortsWithinOneRound(t *testing.T) {
	a := pod("a", "", "", ports("TCP//8080"))
	b := pod("b", "", "", ports("TCP//8080"))
	one := []*corev1.Node{node("n1", "4", "4Gi", 110)}
	res := Schedule([]*corev1.Pod{a, b}, one, nil)
	if res.Bindings["default/a"] != "n1" || res.Bindings["default/b"] != "" {
		t.Fatalf("bindings %v", res.Bindings)
	}
	want := "0/1 nodes are available: 1 " + ReasonNodePorts + "."
	if got := res.Unschedulable["default/b"].Message; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	done := pod("done", "", "", on("n1"), ports("TCP//8080"), phase(corev1.PodSucceeded))
	if res := Schedule([]*corev1.Pod{b}, one, []*corev1.Pod{done}); res.Bindings["default/b"] != "n1" {
		t.Fatalf("a finished pod's port is free: %v %v", res.Bindings, res.Unschedulable)
	}
	two := append(one, node("n2", "4", "4Gi", 110))
	res = Schedule([]*corev1.Pod{a, b}, two, nil)
	if got := fmt.Sprint(res.Bindings); got != "map[default/a:n1 default/b:n2]" {
		t.Fatalf("bindings %s", got)
	}
}
