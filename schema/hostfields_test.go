package schema

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestHostNetworkDefaults: on the host's network every containerPort is a
// hostPort (Kubernetes' defaultHostNetworkPorts), and the host fields come
// through.
func TestHostNetworkDefaults(t *testing.T) {
	m := mustOne(t, "p.yaml", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: true
  dnsPolicy: ClusterFirstWithHostNet
  containers:
  - name: c
    image: c:v1
    ports: [{containerPort: 8080}, {containerPort: 53, protocol: UDP, hostPort: 53}]
`)
	spec := m.Object.(*corev1.Pod).Spec
	if !spec.HostNetwork || !spec.HostPID || !spec.HostIPC || spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		t.Fatalf("host fields lost: %+v", spec)
	}
	if p := spec.Containers[0].Ports; p[0].HostPort != 8080 || p[1].HostPort != 53 {
		t.Fatalf("hostPort not defaulted to containerPort: %+v", p)
	}
	plain := mustOne(t, "q.yaml", `apiVersion: v1
kind: Pod
metadata: {name: q}
spec:
  containers: [{name: c, image: c:v1, ports: [{containerPort: 8080}]}]
`)
	if hp := plain.Object.(*corev1.Pod).Spec.Containers[0].Ports[0].HostPort; hp != 0 {
		t.Fatalf("a pod off the host's network got hostPort %d", hp)
	}
}

// TestHostFieldErrors: Kubernetes' validation of host ports, hostAliases
// and dnsConfig, at the field's position.
func TestHostFieldErrors(t *testing.T) {
	tests := []struct{ src, want string }{{`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  dnsPolicy: None
  hostAliases: [{ip: not-an-ip, hostnames: [a]}]
  containers:
  - name: c
    image: c:v1
    ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 90, hostPort: 90, hostIP: nowhere}, {containerPort: 90}]
`, `h.yaml:6:14: spec.dnsPolicy: required value: must provide ` + "`dnsConfig` when `dnsPolicy` is `None`" + `
h.yaml:7:22: spec.hostAliases[0].ip: invalid value "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)
h.yaml:11:43: spec.containers[0].ports[0].hostPort: invalid value 8080: must match ` + "`containerPort` when `hostNetwork` is true" + `
h.yaml:11:92: spec.containers[0].ports[1].hostIP: invalid value "nowhere": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)
h.yaml:11:102: spec.containers[0].ports[2].hostPort: duplicate value "90/TCP": a host port may be used once in a pod
`}, {`apiVersion: v1
kind: Pod
metadata: {name: q}
spec:
  dnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9, 10.0.0.1], searches: [corp.example., bad/search]}
  containers: [{name: c, image: c:v1}]
`, `h.yaml:5:28: spec.dnsConfig.nameservers: too many: 4: must have at most 3 items
h.yaml:5:93: spec.dnsConfig.searches[1]: invalid value "bad/search": a search domain is a DNS-1123 subdomain: lowercase letters, digits, '-' and '.' (e.g. corp.example)
`}, {`apiVersion: v1
kind: Pod
metadata: {name: r}
spec:
  hostAliases: [{ip: 10.1.2.3, hostnames: [a, Bad_Name]}]
  containers: [{name: c, image: c:v1}]
`, `h.yaml:5:47: spec.hostAliases[0].hostnames[1]: invalid value "Bad_Name": must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (e.g. my-app.v1)
`}}
	for _, tc := range tests {
		if got := validateOne(t, "h.yaml", tc.src).String(); got != tc.want {
			t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
		}
	}
}

// FuzzHostFields: whatever a manifest says about host ports, validation
// does not panic, and a hostNetwork pod it accepts has every containerPort
// as its hostPort with no hostPort/protocol twice.
func FuzzHostFields(f *testing.F) {
	f.Add(true, int32(8080), int32(0), "", "TCP", "10.1.2.3", "foo.local")
	f.Add(false, int32(80), int32(8080), "127.0.0.1", "UDP", "::1", "bar")
	f.Add(true, int32(53), int32(53), "0.0.0.0", "UDP", "bad ip", "Bad_Name")
	v := newTestValidator(f)
	f.Fuzz(func(t *testing.T, hostNetwork bool, containerPort, hostPort int32, hostIP, proto, aliasIP, aliasName string) {
		src := fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostNetwork": %t,
"hostAliases": [{"ip": %q, "hostnames": [%q]}],
"containers": [{"name": "c", "image": "c:v1", "ports": [{"containerPort": %d, "hostPort": %d, "hostIP": %q, "protocol": %q}, {"containerPort": %d, "protocol": %q}]}]}}`,
			hostNetwork, aliasIP, aliasName, containerPort, hostPort, hostIP, proto, containerPort, proto)
		res := v.Validate([]File{{Path: "p.json", Data: []byte(src)}})
		if !res.OK() {
			return
		}
		spec := res.Manifests[0].Object.(*corev1.Pod).Spec
		if !spec.HostNetwork {
			return
		}
		t.Fatalf("a hostNetwork pod with the same containerPort twice was accepted: %+v", spec.Containers[0].Ports)
	})
}
